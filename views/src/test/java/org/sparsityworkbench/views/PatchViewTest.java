package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javafx.geometry.Point2D;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.MegabyteConfig;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.model.MegabyteModel;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** A Megabyte model in the GUI: its patch view, hover and click, compare, a model change. */
@ExtendWith(ApplicationExtension.class)
class PatchViewTest {
  static Path megabyte;
  static Path dense;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    MainViewControlsTest.dir = Files.createTempDirectory("workbench-patch-view-test");
    Engines.pytorch();
    // Patches of 4 bytes over 64; the global model a Switch of 4 experts, two layers.
    MegabyteConfig c =
        MegabyteConfig.of(
            64, 4, 8, ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 16, 4, 1, 1.25), 16, 2, 2, 32);
    megabyte = MainViewControlsTest.dir.resolve("megabyte");
    try (NDManager m = NDManager.newBaseManager();
        MegabyteModel mb = MegabyteModel.random(c, 3, m)) {
      mb.save(megabyte, Map.of());
    }
    dense = MainViewControlsTest.save("dense", ModelConfig.dense(32, 2, 4, 64, 256));
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
    vm = new MainViewModel(service, List.of(megabyte, dense));
    view = Gui.show(stage, vm, 1400, 900);
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> c) throws Exception {
    Gui.waitUntil(c);
  }

  private void loaded(Path model) throws Exception {
    Gui.loaded(vm, model);
  }

  private static String text(FxRobot robot, String id) {
    return robot.lookup(id).queryAs(Label.class).getText();
  }

  /** The centre of patch k in the stream's first row (all patches fit on it here). */
  private Point2D patch(int k) {
    double w = 4 * PatchView.BYTE_W;
    return new Point2D(4 + k * (w + PatchView.GAP) + w / 2, 4 + PatchView.ROW_H / 2);
  }

  @Test
  void aMegabyteDecodeDrawsItsPatchesAndAClickedPatchShowsItsLocalAttention(FxRobot robot)
      throws Exception {
    loaded(megabyte);
    assertEquals("megabyte", vm.shown().familyProperty().get());
    robot.interact(() -> vm.maxTokensProperty().set(20));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 20);
    Clicks.tab(robot, "Patches");
    assertEquals("The ", vm.promptProperty().get());
    // The prompt's 4 bytes: the prefill ran patches 0 and 1 and predicts position 4; the 20 steps
    // prepare positions 5..24, so the global model ran at the patch beginnings 8, 12, 16, 20, 24.
    assertTrue(
        text(robot, "#patch-summary").startsWith("global model: ran at 5 of 20 steps (once per 4"),
        text(robot, "#patch-summary"));
    Label localCaption =
        robot
            .lookup(".caption")
            .match(n -> ((Label) n).getText().startsWith("Local model"))
            .queryAs(Label.class);
    assertTrue(localCaption.getText().contains("patch 6"), localCaption.getText());

    Chart stream = robot.lookup("#patch-stream").queryAs(Chart.class);
    robot.moveTo(robot.point(stream).atPosition(Pos.TOP_LEFT).atOffset(patch(2)));
    WaitForAsyncUtils.waitForFxEvents();
    String reading = text(robot, "#patch-stream-readout");
    assertTrue(reading.startsWith("patch 2, bytes 8..11"), reading);
    assertTrue(reading.contains("expert "), "the global model routes: " + reading);
    robot.moveTo(robot.point(stream).atPosition(Pos.TOP_LEFT).atOffset(patch(0)));
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(
        text(robot, "#patch-stream-readout").contains("global step in the prefill"),
        text(robot, "#patch-stream-readout"));

    robot.clickOn(robot.point(stream).atPosition(Pos.TOP_LEFT).atOffset(patch(2)));
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals(
        2,
        org.sparsityworkbench.viewmodels.PatchViewModel.patchOf(
            vm.stream().inspectedProperty().get()));
    assertTrue(localCaption.getText().contains("patch 2"), localCaption.getText());

    // Right-click the patch: ban the expert its global step chose, in every layer.
    int e = vm.patches().figures().expert(2, 0);
    robot.moveTo(robot.point(stream).atPosition(Pos.TOP_LEFT).atOffset(patch(2)));
    robot.clickOn(javafx.scene.input.MouseButton.SECONDARY);
    WaitForAsyncUtils.waitForFxEvents();
    robot.clickOn(
        robot
            .lookup(".menu-item .label")
            .match(
                n ->
                    ((javafx.scene.control.Labeled) n)
                        .getText()
                        .startsWith("Ban expert " + e + " in every layer"))
            .queryAs(javafx.scene.Node.class));
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(vm.intervention().hasIntervention("ban", "*:" + e));

    Clicks.choose(robot, view.getScene(), "#patch-global-layer", "1");
    assertEquals(1, vm.patches().globalLayerProperty().get());

    // Another model: the patch figures belong to the decode shown, so they go.
    Clicks.choose(robot, view.getScene(), "#model-picker", "dense");
    loaded(dense);
    assertFalse(vm.patches().availableProperty().get());
    assertFalse(vm.patches().figures().available());
    assertEquals("", text(robot, "#patch-summary"));
  }

  @Test
  void aSavedMegabyteSessionShowsItsPatchesWithoutTheModelAndFollowsTheTimeline(FxRobot robot)
      throws Exception {
    loaded(megabyte);
    robot.interact(() -> vm.maxTokensProperty().set(20));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 20);
    Clicks.tab(robot, "Patches");
    String live = text(robot, "#patch-summary");
    Path file = MainViewControlsTest.dir.resolve("megabyte.session.gz");
    robot.interact(() -> vm.session().saveSession(file));
    waitUntil(() -> vm.statusProperty().get().startsWith("Saved"));
    // Another model, then the session: its patches come back from the file alone.
    Clicks.choose(robot, view.getScene(), "#model-picker", "dense");
    loaded(dense);
    view.chooseSessionToOpen = w -> file.toFile();
    robot.clickOn("#session-menu");
    robot.clickOn("#open-session");
    waitUntil(
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 20);
    assertTrue(vm.patches().availableProperty().get());
    // Same figures but the times: the summary's counts agree.
    assertEquals(live.substring(0, 40), text(robot, "#patch-summary").substring(0, 40));
    robot.interact(() -> vm.session().timelineProperty().set(10));
    waitUntil(
        () -> vm.history().tokens().size() == 10); // positions 5..14: patches begin at 8 and 12
    assertTrue(
        text(robot, "#patch-summary").startsWith("global model: ran at 2 of 10 steps"),
        text(robot, "#patch-summary"));
  }

  private List<String> gridTitles(FxRobot robot) {
    return robot.lookup(".chart-title").queryAllAs(Label.class).stream()
        .filter(
            l ->
                l.getParent() != null
                    && l.getParent().getUserData() instanceof javafx.scene.control.Tab)
        .map(Label::getText)
        .toList();
  }

  @Test
  void allViewsGivesTheByteViewsCellsToPatchesForMegabyteAndBackForATransformer(FxRobot robot)
      throws Exception {
    loaded(megabyte);
    robot.clickOn("#all-views");
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals(
        java.util.Set.of("Decode", "Patches", "Latency", "Compare"),
        java.util.Set.copyOf(gridTitles(robot)));
    Clicks.choose(robot, view.getScene(), "#model-picker", "dense");
    loaded(dense);
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals(
        java.util.Set.of(
            "Decode", "Routing", "Controller masks", "Attention", "Latency", "Compare"),
        java.util.Set.copyOf(gridTitles(robot)));
  }

  @Test
  void anExpertOfTheGlobalModelBannedWithTheInterveneRowIsNeverChosen(FxRobot robot)
      throws Exception {
    loaded(megabyte);
    Clicks.tab(robot, "Routing");
    Clicks.check(robot, view.getScene(), "#intervene-expert", "1");
    robot.clickOn("#intervene-every-layer");
    robot.clickOn("#intervene-ban");
    robot.interact(() -> vm.maxTokensProperty().set(40));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 40);
    int global = 0;
    for (var t : vm.history().tokens()) {
      assertEquals(List.of("ban *:1"), t.record().interventions());
      var p = t.record().patch();
      if (p.globalRan()) {
        global++;
        for (var layer : p.global()) {
          assertTrue(layer.router().experts()[0] != 1, "patch " + p.index() + " chose expert 1");
        }
      }
    }
    assertEquals(10, global, "positions 5..44 begin patches at 8, 12, ..., 44");
  }

  @Test
  void megabyteComparesWithADenseByteModel(FxRobot robot) throws Exception {
    loaded(megabyte);
    robot.interact(() -> vm.maxTokensProperty().set(12));
    Clicks.tab(robot, "Compare");
    Clicks.choose(robot, view.getScene(), "#compare-model", "dense");
    robot.clickOn("#compare");
    Label summary = robot.lookup("#compare-summary").queryAs(Label.class);
    waitUntil(() -> summary.getText().endsWith("done"));
    assertTrue(summary.getText().startsWith("12 steps"), summary.getText());
  }
}
