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
import javafx.scene.control.TextArea;
import javafx.scene.image.WritableImage;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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

/** What Compare and Attention show after the user changes models or zoom: never stale. */
@ExtendWith(ApplicationExtension.class)
class CompareAndAttentionViewTest {
  static Path dir;
  static Path topk;
  static Path dense;
  static Path broken;
  static Path longContext;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    dir = Files.createTempDirectory("workbench-compare-test");
    Engines.pytorch();
    MainViewControlsTest.dir = dir;
    topk =
        MainViewControlsTest.save(
            "topk", ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 256, 4, 2, 1.25));
    dense = MainViewControlsTest.save("dense", ModelConfig.dense(32, 1, 4, 64, 256));
    longContext = MainViewControlsTest.save("long", ModelConfig.dense(32, 1, 4, 64, 4096));
    broken = Files.createDirectories(dir.resolve("broken"));
    Files.writeString(broken.resolve("config.json"), "{\"family\": \"moe\"}");
    Files.write(broken.resolve("model.safetensors"), new byte[8]);
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
    vm = new MainViewModel(service, List.of(topk, dense, broken, longContext));
    view = new MainView(vm);
    Scene scene = new Scene(view, 1260, 760);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  @AfterEach
  void stopDecoding() throws Exception {
    WaitForAsyncUtils.asyncFx(vm::stop).get();
    waitUntil(() -> WaitForAsyncUtils.asyncFx(() -> !vm.runningProperty().get()).get());
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> condition) throws Exception {
    WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
  }

  private void loaded(Path model) throws Exception {
    waitUntil(
        () ->
            !vm.library().loadingProperty().get()
                && vm.shown().infoProperty().get().startsWith(model.getFileName() + " ·"));
    WaitForAsyncUtils.waitForFxEvents();
  }

  private void choose(FxRobot robot, String combo, String entry) {
    Clicks.choose(robot, view.getScene(), combo, entry);
  }

  private void tab(FxRobot robot, String name) {
    Clicks.tab(robot, name);
  }

  private static WritableImage snapshot(FxRobot robot, Chart chart) throws Exception {
    return WaitForAsyncUtils.asyncFx(() -> chart.canvas().snapshot(null, null)).get();
  }

  private static boolean samePixels(WritableImage a, WritableImage b) {
    if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) {
      return false;
    }
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        if (a.getPixelReader().getArgb(x, y) != b.getPixelReader().getArgb(x, y)) {
          return false;
        }
      }
    }
    return true;
  }

  @Test
  void aComparisonIsClearedWhenItsModelsChangeAndAFailedBShowsNoOldChart(FxRobot robot)
      throws Exception {
    loaded(topk);
    robot.interact(() -> vm.maxTokensProperty().set(12));
    tab(robot, "Compare");
    Label summary = robot.lookup("#compare-summary").queryAs(Label.class);
    TextArea textA = robot.lookup("#compare-a").queryAs(TextArea.class);
    TextArea textB = robot.lookup("#compare-b").queryAs(TextArea.class);

    choose(robot, "#compare-model", "topk"); // the model with itself
    robot.clickOn("#compare");
    waitUntil(() -> summary.getText().endsWith("done"));
    assertTrue(summary.getText().contains("agrees 100%"), summary.getText());
    assertFalse(textA.getText().isEmpty());

    choose(robot, "#model-picker", "dense");
    loaded(dense);
    assertEquals("", textA.getText(), "topk's text is not shown under dense's name");
    assertEquals("", textB.getText());
    assertFalse(summary.getText().contains("agrees"), summary.getText());
    assertEquals("A: dense", robot.lookup("#compare-model-a").queryAs(Label.class).getText());

    robot.clickOn("#compare"); // dense against topk
    waitUntil(() -> summary.getText().endsWith("done"));
    Chart latency = robot.lookup("#compare-latency").queryAs(Chart.class);
    Chart kl = robot.lookup("#compare-kl").queryAs(Chart.class);
    choose(robot, "#compare-model", "broken");
    robot.clickOn("#compare");
    waitUntil(() -> summary.getText().contains("broken"));
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(summary.getText().contains("unknown family 'moe'"), summary.getText());
    assertEquals("", textA.getText());
    assertEquals("", textB.getText());
    for (Chart chart : List.of(latency, kl)) {
      WritableImage shown = snapshot(robot, chart);
      robot.interact(chart::request); // what the chart's data draws now
      assertTrue(samePixels(shown, snapshot(robot, chart)), chart.name() + " shows no old run");
    }
  }

  @Test
  void zoomingInAfterAllPoolsIntoTheColumnsShownAndLeavesUnseenPositionsEmpty(FxRobot robot)
      throws Exception {
    loaded(topk);
    robot.interact(() -> vm.maxTokensProperty().set(60));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 60);
    tab(robot, "Attention"); // "all" positions first
    AttentionView attention = robot.lookup("#attention-view").queryAs(AttentionView.class);
    Chart heads = robot.lookup("#attention-heads").queryAs(Chart.class);
    for (String zoom : List.of("last 32", "last 128")) {
      choose(robot, "#attention-zoom", zoom);
      double panelW = attention.shownLayout().panelW();
      double panelH = attention.shownLayout().panelH();
      WritableImage image = snapshot(robot, heads);
      int newest = vm.stream().contextLength() - 1;
      int[] span =
          org.sparsityworkbench.viewmodels.AttentionGrid.panelSpan(
              newest + 1, Integer.parseInt(zoom.substring(5)), vm.shown().context()); // as drawn
      // Columns right of the newest position are positions nobody can see yet (causal).
      int firstUnseen = (int) Math.ceil((newest + 1 - span[0]) * panelW / span[1]) + 1;
      int empty = Palette.purpleShade(0);
      assertTrue(firstUnseen < panelW - 3, "some unseen columns: " + firstUnseen);
      for (int x = firstUnseen; x < panelW - 2; x++) {
        for (int y = 20; y < panelH - 2; y += 3) {
          assertEquals(
              Integer.toHexString(empty),
              Integer.toHexString(image.getPixelReader().getArgb(x, y)),
              zoom + ": head 0 at x " + x + ", y " + y + " is a position not seen yet");
        }
      }
      // And the newest position is drawn where it is: its column holds weight in the last row.
      int x = (int) ((newest - span[0] + 0.5) * panelW / span[1]);
      int lastRow = (int) panelH - 2; // inside the outline: rows can be under 3 px tall
      assertTrue(
          image.getPixelReader().getArgb(x, lastRow) != empty,
          zoom + ": the newest token sees itself at x " + x);
    }
  }

  @Test
  void longRowsHoveredInAllPositionsReadTheLargestWeightOfTheirFullRow(FxRobot robot)
      throws Exception {
    // A 3,000-position prompt: the window keeps reduced rows (AttentionRows, blocks of 4 before
    // the last 576 positions); what the heads panel shows and reads must be the full rows' own.
    loaded(topk);
    choose(robot, "#model-picker", "long");
    loaded(longContext);
    StringBuilder prompt = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      prompt.append((char) ('a' + (i * 7 + i / 13) % 26));
    }
    robot.interact(
        () -> {
          vm.promptProperty().set(prompt.toString());
          vm.maxTokensProperty().set(40);
        });
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 40);
    tab(robot, "Attention");
    WaitForAsyncUtils.waitForFxEvents();
    AttentionView attention = robot.lookup("#attention-view").queryAs(AttentionView.class);
    Chart heads = robot.lookup("#attention-heads").queryAs(Chart.class);
    Label hover = robot.lookup("#attention-hover").queryAs(Label.class);
    var layout = attention.shownLayout();
    double panelW = layout.panelW();
    double panelH = layout.panelH();
    int cols = layout.cols();
    int rows = layout.rows();
    int shownTo = layout.from() + layout.span();
    assertEquals(0, shownTo % cols, "whole pixels of whole blocks");
    int width = shownTo / cols;
    assertEquals(0, width % 4, width + " positions per pixel");
    org.sparsityworkbench.viewmodels.TokenSnapshot newest = vm.history().window().getLast();
    float[] full = newest.attention()[0][0]; // the newest token keeps its full rows
    java.util.regex.Pattern reading =
        java.util.regex.Pattern.compile(
            "→ position (\\d+) '.*': (\\d\\.\\d{3}) \\(the largest in this pixel: positions"
                + " (\\d+)–(\\d+)\\)");
    javafx.geometry.Bounds b = heads.canvas().localToScreen(heads.canvas().getBoundsInLocal());
    double y = (rows - 0.5) * panelH / rows; // the newest token's row of head 0
    int checked = 0;
    for (int column = 3; column * width < 2400; column += 29) {
      robot.moveTo(
          new javafx.geometry.Point2D(
              b.getMinX() + (column + 0.5) * panelW / cols, b.getMinY() + y));
      WaitForAsyncUtils.waitForFxEvents();
      java.util.regex.Matcher m = reading.matcher(hover.getText());
      assertTrue(m.find(), hover.getText());
      int p = Integer.parseInt(m.group(1));
      int p0 = Integer.parseInt(m.group(3));
      int p1 = Integer.parseInt(m.group(4));
      assertEquals(width - 1, p1 - p0, hover.getText());
      assertEquals(0, p0 % width, hover.getText());
      int best = p0;
      for (int q = p0; q <= p1; q++) {
        best = full[q] > full[best] ? q : best;
      }
      assertEquals(best, p, "the full row's largest weight in " + hover.getText());
      assertEquals(String.format(java.util.Locale.ROOT, "%.3f", full[best]), m.group(2));
      checked++;
    }
    assertTrue(checked >= 5, checked + " pixels read");
  }
}
