package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.control.ComboBox;
import javafx.scene.input.MouseButton;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Interventions from the figures: right-click a head, an expert, a unit, a block or a module where
 * it is drawn, and the entry turns it off or forces it; the same entry then reads "back on".
 */
@ExtendWith(ApplicationExtension.class)
class InterventionMenuTest {
  static Path topk;
  static Path sparse;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    MainViewControlsTest.dir = Files.createTempDirectory("workbench-intervention-menu-test");
    Engines.pytorch();
    topk =
        MainViewControlsTest.save(
            "topk", ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 256, 4, 2, 1.25));
    sparse =
        MainViewControlsTest.save(
            "sparse-ffqkv", ModelConfig.sparse(Family.SPARSE_FFQKV, 32, 2, 4, 64, 256, 8, 8, 4, 3));
    service = new DecodeService();
  }

  @AfterAll
  static void close() {
    service.close();
  }

  MainViewModel vm;
  MainView view;

  @Start
  void start(Stage stage) {
    vm = new MainViewModel(service, List.of(topk, sparse));
    view = Gui.show(stage, vm, 1400, 900);
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> c) throws Exception {
    Gui.waitUntil(c);
  }

  private List<String> chips(FxRobot robot) {
    return Gui.chips(robot);
  }

  /** Right-clicks a chart at a fraction of its canvas, then clicks the menu entry of this text. */
  private static void menu(FxRobot robot, String chart, double fx, double fy, String entry) {
    Node canvas = robot.lookup("#" + chart).queryAs(Chart.class).canvas();
    Bounds b = canvas.localToScreen(canvas.getBoundsInLocal());
    robot.moveTo(
        new javafx.geometry.Point2D(
            b.getMinX() + fx * b.getWidth(), b.getMinY() + fy * b.getHeight()));
    robot.clickOn(MouseButton.SECONDARY);
    WaitForAsyncUtils.waitForFxEvents();
    robot.clickOn(
        robot
            .lookup(".menu-item .label")
            .match(n -> ((javafx.scene.control.Labeled) n).getText().startsWith(entry))
            .queryAs(Node.class));
    WaitForAsyncUtils.waitForFxEvents();
  }

  private void decode(FxRobot robot, int tokens) throws Exception {
    robot.interact(() -> vm.maxTokensProperty().set(tokens));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == tokens);
  }

  @Test
  void aHeadAndAnExpertAreTurnedOffWhereTheyAreDrawnAndBackOnTheSameWay(FxRobot robot)
      throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    decode(robot, 6);
    Clicks.tab(robot, "Attention");
    // Four heads in a 2 x 2 grid: the lower right panel is head 3.
    menu(robot, "attention-heads", 0.75, 0.75, "Turn head 3 of layer 0 off");
    assertEquals(List.of("head-off 0:3  ✕"), chips(robot));
    // The newest-token chart: one row per head, head 0 on top.
    menu(robot, "attention-current", 0.5, 0.05, "Turn head 0 off in every layer");
    assertEquals(List.of("head-off 0:3  ✕", "head-off *:0  ✕"), chips(robot));
    decode(robot, 4);
    assertEquals(
        List.of("head-off 0:3", "head-off *:0"),
        vm.history().tokens().getLast().record().interventions());
    menu(robot, "attention-heads", 0.75, 0.75, "Turn head 3 of layer 0 back on");
    assertEquals(List.of("head-off *:0  ✕"), chips(robot));
    // An expert from the load histogram of the layer shown (4 experts: the last quarter is e3).
    Clicks.tab(robot, "Routing");
    menu(robot, "routing-load", 0.97, 0.5, "Ban expert 3 in layer 0");
    assertEquals(List.of("head-off *:0  ✕", "ban 0:3  ✕"), chips(robot));
    // The newest token's layers x experts: layer 1 is the lower half.
    javafx.scene.canvas.Canvas current =
        robot.lookup("#routing-current").queryAs(Chart.class).canvas();
    double w = current.getWidth();
    double h = current.getHeight();
    menu(
        robot,
        "routing-current",
        (28 + (w - 28) / 8) / w,
        (h - 14) * 0.75 / h,
        "Force expert 0 in layer 1");
    assertEquals(List.of("head-off *:0  ✕", "ban 0:3  ✕", "force 1:0  ✕"), chips(robot));
    decode(robot, 8);
    vm.history()
        .tokens()
        .forEach(
            t -> {
              assertTrue(!contains(t.experts()[0], 3), "step " + t.step() + " chose e3 in layer 0");
              assertTrue(
                  contains(t.experts()[1], 0), "step " + t.step() + " skipped e0 in layer 1");
            });
    menu(robot, "routing-load", 0.97, 0.5, "Lift the ban on expert 3 in layer 0");
    assertEquals(List.of("head-off *:0  ✕", "force 1:0  ✕"), chips(robot));
  }

  @Test
  void unitsBlocksAndModulesOfAScalingTransformerFromTheControllerTab(FxRobot robot)
      throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    robot.interact(() -> vm.library().selectedModelProperty().set(sparse));
    waitUntil(
        () ->
            !vm.library().loadingProperty().get()
                && vm.shown().familyProperty().get().equals("sparse-ffqkv"));
    Clicks.tab(robot, "Routing");
    @SuppressWarnings("unchecked")
    ComboBox<String> kinds = robot.lookup("#intervene-kind").queryAs(ComboBox.class);
    assertEquals(List.of("head-off", "force-unit", "block-off", "module-off"), kinds.getItems());
    assertTrue(!robot.lookup("#intervene-ban").query().isVisible(), "no experts to ban");
    Clicks.choose(robot, view.getScene(), "#intervene-kind", "block-off");
    assertEquals("0:0", robot.lookup("#intervene-value").queryTextInputControl().getText());
    decode(robot, 6);
    Clicks.tab(robot, "Controller masks");
    // 64 units in blocks of 8: 8 blocks; the mask's first column is block 0, its top row unit 0.
    Chart mask = robot.lookup("#controller-mask").queryAs(Chart.class);
    double left = 26 / mask.canvas().getWidth();
    double col = (1 - left) / 8;
    menu(robot, "controller-mask", left + col * 1.5, 0.02, "Force unit 0 in block 1 of layer 0");
    assertEquals(List.of("force-unit 0:1:0  ✕"), chips(robot));
    menu(robot, "controller-mask", left + col * 2.5, 0.5, "Turn block 2 of layer 0 off");
    assertEquals(List.of("force-unit 0:1:0  ✕", "block-off 0:2  ✕"), chips(robot));
    // The module map: 3 modules, the top row is module 0 (right-most column is the newest token).
    menu(robot, "qkv-modules", 0.99, 0.1, "Turn module 0 of layer 0 off");
    assertEquals(
        List.of("force-unit 0:1:0  ✕", "block-off 0:2  ✕", "module-off 0:0  ✕"), chips(robot));
    decode(robot, 5);
    vm.history().tokens().forEach(t -> assertEquals(0, t.chosen()[0][1], "step " + t.step()));
    assertEquals(
        List.of("force-unit 0:1:0", "block-off 0:2", "module-off 0:0"),
        vm.history().tokens().getLast().record().interventions());
    menu(robot, "controller-mask", left + col * 2.5, 0.5, "Turn block 2 of layer 0 back on");
    assertEquals(List.of("force-unit 0:1:0  ✕", "module-off 0:0  ✕"), chips(robot));
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }
}
