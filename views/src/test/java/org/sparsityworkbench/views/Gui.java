package org.sparsityworkbench.views;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.stage.Stage;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

/** What the TestFX tests of the main window share: showing it, waiting, reading the chips. */
final class Gui {
  private Gui() {}

  /** The main window over a view model, styled, at a size, shown on the stage. */
  static MainView show(Stage stage, MainViewModel vm, double width, double height) {
    MainView view = new MainView(vm);
    Scene scene = new Scene(view, width, height);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
    return view;
  }

  /** Waits (up to a minute) for a condition, then for the JavaFX events it caused. */
  static void waitUntil(Callable<Boolean> condition) throws Exception {
    WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, condition);
    WaitForAsyncUtils.waitForFxEvents();
  }

  /** Waits until this model is loaded and nothing is loading. */
  static void loaded(MainViewModel vm, java.nio.file.Path model) throws Exception {
    waitUntil(
        () ->
            model.equals(vm.library().loadedModelProperty().get())
                && vm.library().modelProperty().get() != null
                && !vm.library().loadingProperty().get());
  }

  /** Selects a tab by its name (a hidden tab is drawn when shown). */
  static void selectTab(FxRobot robot, String name) {
    javafx.scene.control.TabPane tabs =
        robot.lookup("#tabs").queryAs(javafx.scene.control.TabPane.class);
    robot.interact(
        () ->
            tabs.getSelectionModel()
                .select(
                    tabs.getTabs().stream()
                        .filter(t -> t.getText().equals(name))
                        .findFirst()
                        .orElseThrow()));
    WaitForAsyncUtils.waitForFxEvents();
  }

  /** The interventions in force as their chips read. */
  static List<String> chips(FxRobot robot) {
    return robot
        .lookup("#interventions")
        .queryAs(javafx.scene.layout.FlowPane.class)
        .getChildren()
        .stream()
        .map(n -> ((Button) n).getText())
        .toList();
  }
}
