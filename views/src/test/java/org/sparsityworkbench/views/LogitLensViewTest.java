package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Label;
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
import org.sparsityworkbench.viewmodels.TokenSnapshot;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Logit lens tab: hover a cell for that layer's prediction; the box turns the lens off. */
@ExtendWith(ApplicationExtension.class)
class LogitLensViewTest {
  static Path topk;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    MainViewControlsTest.dir = Files.createTempDirectory("workbench-lens-view-test");
    Engines.pytorch();
    topk =
        MainViewControlsTest.save(
            "topk", ModelConfig.moe(Family.TOPK, 32, 3, 4, 64, 256, 4, 2, 1.25));
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
    vm = new MainViewModel(service, List.of(topk));
    view = new MainView(vm);
    Scene scene = new Scene(view, 1400, 900);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> c) throws Exception {
    WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, c);
    WaitForAsyncUtils.waitForFxEvents();
  }

  @Test
  void hoveringACellReadsThatLayersPredictionAndTheBoxTurnsTheLensOff(FxRobot robot)
      throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    robot.interact(() -> vm.maxTokensProperty().set(12));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 12);
    Clicks.tab(robot, "Logit lens");
    Chart chart = robot.lookup("#logit-lens").queryAs(Chart.class);
    TokenSnapshot newest = vm.history().tokens().getLast();
    assertTrue(newest.hasLens());
    int shown = Math.min(12, (int) Math.floor((chart.getWidth() - 44 - 4) / LogitLensView.COLUMN));
    double rowH = Math.max(8, (chart.getHeight() - 4 - 18) / 3);
    for (int layer = 0; layer < 3; layer++) {
      double x = 44 + (shown - 0.5) * LogitLensView.COLUMN;
      double y = 4 + (2 - layer + 0.5) * rowH;
      robot.moveTo(
          chart,
          javafx.geometry.Pos.TOP_LEFT,
          new javafx.geometry.Point2D(x, y),
          org.testfx.robot.Motion.DIRECT);
      WaitForAsyncUtils.waitForFxEvents();
      String text = robot.lookup("#logit-lens-readout").queryAs(Label.class).getText();
      assertEquals(
          String.format(
              java.util.Locale.ROOT,
              "after '%s' (step 11), layer %d predicts '%s' (p %.2f); the model: '%s'",
              newest.label(),
              layer,
              newest.lensToken(layer),
              newest.lensProbability(layer),
              newest.nextToken()),
          text);
    }
    assertEquals(newest.nextToken(), newest.lensToken(2), "the last layer is the model's output");
    for (int layer = 0; layer < 3; layer++) {
      String line =
          String.format(
              java.util.Locale.ROOT,
              " · lens '%s' %.2f",
              newest.lensToken(layer),
              newest.lensProbability(layer));
      assertTrue(
          newest.details().contains(line), "the token details name layer " + layer + "'s lens");
    }
    robot.clickOn("#logit-lens-on");
    assertFalse(vm.logitLensProperty().get());
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 12);
    assertFalse(vm.history().tokens().getLast().hasLens(), "off: the next decode has no lens");
  }
}
