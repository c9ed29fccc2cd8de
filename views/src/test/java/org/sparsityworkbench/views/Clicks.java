package org.sparsityworkbench.views;

import javafx.scene.Node;
import javafx.scene.Scene;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

/** What the TestFX tests do with the mouse, as a person does it. */
final class Clicks {
  private Clicks() {}

  /**
   * Opens a combo box with the mouse and clicks the entry with this text in its pop-up (a cell
   * outside the window's own scene).
   */
  static void choose(FxRobot robot, Scene window, String combo, String entry) {
    robot.clickOn(combo);
    WaitForAsyncUtils.waitForFxEvents();
    robot.clickOn(
        robot
            .lookup(".list-cell")
            .match(
                n ->
                    n.getScene() != window
                        && entry.equals(((javafx.scene.control.Labeled) n).getText()))
            .queryAs(Node.class));
    WaitForAsyncUtils.waitForFxEvents();
  }

  /**
   * Ticks an entry of a check-combo box (ControlsFX's), as a person does: opens its list, clicks
   * the entry, and closes the list with Escape (it stays open for more ticks).
   */
  static void check(FxRobot robot, Scene window, String combo, String entry) {
    choose(robot, window, combo, entry);
    robot.type(javafx.scene.input.KeyCode.ESCAPE);
    WaitForAsyncUtils.waitForFxEvents();
  }

  /** Clicks the tab with this name. */
  static void tab(FxRobot robot, String name) {
    robot.clickOn(
        robot
            .lookup(".tab-label")
            .match(n -> name.equals(((javafx.scene.control.Labeled) n).getText()))
            .queryAs(Node.class));
    WaitForAsyncUtils.waitForFxEvents();
  }
}
