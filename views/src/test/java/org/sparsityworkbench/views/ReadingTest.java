package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javafx.geometry.Point2D;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.control.TabPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Layout and reading of the views as a person meets them: window sizes, axes, hover readouts,
 * exports, themes. Models of context 128 (as the bundled ones), a routed and a sparse one.
 */
@ExtendWith(ApplicationExtension.class)
class ReadingTest {
  static Path dir;
  static Path topk;
  static Path sparse;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    dir = Files.createTempDirectory("workbench-reading-test");
    Engines.pytorch();
    topk = dir.resolve("topk");
    sparse = dir.resolve("sparse-ffqkv");
    try (NDManager m = NDManager.newBaseManager();
        TransformerModel t =
            TransformerModel.random(
                ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 128, 4, 2, 1.25), 1, m);
        TransformerModel s =
            TransformerModel.random(
                ModelConfig.sparse(Family.SPARSE_FFQKV, 32, 2, 4, 64, 128, 8, 8, 4, 3), 2, m)) {
      t.save(topk, Map.of());
      s.save(sparse, Map.of());
    }
    service = new DecodeService();
  }

  @AfterAll
  static void close() {
    service.close();
  }

  MainViewModel vm;
  MainView view;
  Stage stage;

  @Start
  void start(Stage stage) {
    this.stage = stage;
    vm = new MainViewModel(service, List.of(topk, sparse));
    view = new MainView(vm);
    Scene scene = new Scene(view, 1400, 860);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> condition) throws Exception {
    WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, condition);
  }

  /** Types a prompt, generates n tokens with the loaded model and waits until the decode ends. */
  void decode(FxRobot robot, int n) throws Exception {
    waitUntil(() -> vm.canGenerateBinding().get());
    robot.interact(
        () -> {
          vm.maxTokensProperty().set(n);
          vm.promptProperty().set("Hello");
        });
    robot.interact(vm::generate);
    waitUntil(() -> vm.tokenCountProperty().get() == n && !vm.runningProperty().get());
    WaitForAsyncUtils.waitForFxEvents();
  }

  private void selectTab(FxRobot robot, String name) {
    TabPane tabs = robot.lookup("#tabs").queryAs(TabPane.class);
    robot.interact(
        () ->
            tabs.getSelectionModel()
                .select(
                    tabs.getTabs().stream()
                        .filter(t -> t.getText().equals(name))
                        .findFirst()
                        .get()));
    WaitForAsyncUtils.waitForFxEvents();
  }

  /** Moves the mouse to a point of a chart's canvas (its local coordinates). */
  private static void hover(FxRobot robot, Chart chart, double x, double y) {
    Point2D p = chart.canvas().localToScreen(x, y);
    robot.moveTo(p);
    WaitForAsyncUtils.waitForFxEvents();
  }

  @Test
  void attentionPanelsEndAtTheModelsContext(FxRobot robot) throws Exception {
    decode(robot, 40);
    selectTab(robot, "Attention");
    Chart heads = robot.lookup("#attention-heads").queryAs(Chart.class);
    Label readout = robot.lookup("#attention-hover").queryAs(Label.class);
    // The rightmost pixel of head 0's panel, on its first row: the last position of the axis.
    double panelRight = heads.canvas().getWidth() / 2 - 8 - 1;
    for (double x = panelRight; x > 0; x -= 2) {
      hover(robot, heads, x, 2);
      if (readout.getText().startsWith("head 0")) {
        break;
      }
    }
    String text = readout.getText();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("cannot see position (\\d+)").matcher(text);
    assertTrue(m.find(), text);
    int last = Integer.parseInt(m.group(1));
    assertTrue(last <= 127 && last >= 120, "the axis ends at the context (128): " + text);
  }

  /** Whether more weight draws darker (OKLab lightness falls) in the current theme's ramps. */
  private static boolean moreIsDarker() {
    boolean blue = Palette.okLab(Palette.blue(1))[0] < Palette.okLab(Palette.blue(0.15))[0];
    boolean purple = Palette.okLab(Palette.purple(1))[0] < Palette.okLab(Palette.purple(0.15))[0];
    assertTrue(blue == purple, "both ramps run the same way");
    return blue;
  }

  /** Every text of the window that tells how a ramp reads ("darker = more", "brighter is more"). */
  private static List<String> rampTexts(FxRobot robot) {
    return robot.lookup(".label").queryAllAs(Label.class).stream()
        .map(Label::getText)
        .filter(t -> t != null && (t.contains("darker") || t.contains("brighter")))
        .toList();
  }

  @Test
  void eachThemesTextsSayWhichWayItsRampsRun(FxRobot robot) {
    for (boolean dark : new boolean[] {false, true, false}) {
      javafx.scene.control.ToggleButton button =
          robot.lookup("#dark-theme").queryAs(javafx.scene.control.ToggleButton.class);
      if (button.isSelected() != dark) {
        robot.clickOn(button);
        WaitForAsyncUtils.waitForFxEvents();
      }
      String more = moreIsDarker() ? "darker" : "brighter";
      String less = moreIsDarker() ? "brighter" : "darker";
      List<String> texts = rampTexts(robot);
      assertTrue(texts.size() >= 2, "the controller's usage and the attention: " + texts);
      for (String t : texts) {
        assertTrue(t.contains(more) && !t.contains(less), (dark ? "dark" : "light") + ": " + t);
      }
    }
  }

  @Test
  void openStartsInTheModelsFolderAndSavesInTheLastExportFolder(FxRobot robot) throws Exception {
    javafx.stage.DirectoryChooser open = WaitForAsyncUtils.asyncFx(() -> view.openChooser()).get();
    assertTrue(
        dir.toFile().getCanonicalFile().equals(open.getInitialDirectory().getCanonicalFile()),
        "Open... starts where the models are: " + open.getInitialDirectory());
    Path figures = Files.createDirectories(dir.resolve("figures"));
    Chart map = robot.lookup("#routing-map").queryAs(Chart.class);
    // As a save does once the user has chosen a file there.
    robot.interact(() -> Folders.SHARED.saved(figures.resolve("routing-map.svg")));
    for (javafx.stage.FileChooser save :
        List.of(
            WaitForAsyncUtils.asyncFx(() -> map.saveChooser("svg")).get(),
            WaitForAsyncUtils.asyncFx(() -> MainView.saveChooser("a.csv", "CSV", "*.csv")).get())) {
      assertTrue(
          figures.toFile().equals(save.getInitialDirectory()),
          "a save starts in the last export folder: " + save.getInitialDirectory());
    }
  }

  /** Resizes the window, as a person drags its corner. */
  void resize(FxRobot robot, double w, double h) {
    robot.interact(
        () -> {
          stage.setWidth(w);
          stage.setHeight(h);
        });
    WaitForAsyncUtils.waitForFxEvents();
  }

  @Test
  void everyToolBarControlIsOnScreenAndClickableInSmallWindows(FxRobot robot) throws Exception {
    String[] ids = {
      "#model-picker",
      "#open-model",
      "#prompt",
      "#max-tokens",
      "#temperature",
      "#seed",
      "#generate",
      "#step",
      "#pause",
      "#stop",
      "#export",
      "#all-views",
      "#dark-theme"
    };
    for (double[] size : new double[][] {{1024, 700}, {800, 600}}) {
      resize(robot, size[0], size[1]);
      String at = (int) size[0] + "x" + (int) size[1];
      javafx.geometry.Bounds window =
          new javafx.geometry.BoundingBox(
              0, 0, stage.getScene().getWidth(), stage.getScene().getHeight());
      List<javafx.geometry.Bounds> seen = new java.util.ArrayList<>();
      for (String id : ids) {
        javafx.scene.Node n = robot.lookup(id).query();
        javafx.geometry.Bounds b = n.localToScene(n.getLayoutBounds());
        assertTrue(
            Shown.shown(n) && b.getWidth() >= 20 && window.contains(b),
            id + " on screen at " + at + ": " + b);
        for (javafx.geometry.Bounds other : seen) {
          assertTrue(
              !other.intersects(
                  b.getMinX() + 1, b.getMinY() + 1, b.getWidth() - 2, b.getHeight() - 2),
              id + " overlaps another control at " + at);
        }
        seen.add(b);
      }
      // The last two, as a person clicks them.
      javafx.scene.control.ToggleButton dark =
          robot.lookup("#dark-theme").queryAs(javafx.scene.control.ToggleButton.class);
      javafx.scene.control.ToggleButton all =
          robot.lookup("#all-views").queryAs(javafx.scene.control.ToggleButton.class);
      robot.clickOn(dark);
      robot.clickOn(all);
      WaitForAsyncUtils.waitForFxEvents();
      assertTrue(dark.isSelected() && all.isSelected(), "Dark and All views clicked at " + at);
      robot.clickOn(dark);
      robot.clickOn(all);
      WaitForAsyncUtils.waitForFxEvents();
      assertTrue(!dark.isSelected() && !all.isSelected(), "and clicked back at " + at);
    }
    assertTrue(
        stage.getMinWidth() >= 780 && stage.getMinHeight() >= 560,
        "a window too small for the tool bar cannot be made: "
            + stage.getMinWidth()
            + "x"
            + stage.getMinHeight());
  }
}
