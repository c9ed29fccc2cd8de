package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.scene.control.TextArea;
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

/** Opens the main window headlessly (Monocle), decodes from a random model, sees text appear. */
@ExtendWith(ApplicationExtension.class)
class MainViewTest {
  static Path dir;
  static Path good;
  static Path bad;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    dir = Files.createTempDirectory("workbench-view-test");
    Engines.pytorch();
    good = dir.resolve("topk");
    try (NDManager m = NDManager.newBaseManager();
        TransformerModel t =
            TransformerModel.random(
                ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 256, 4, 2, 1.25), 1, m)) {
      t.save(good, Map.of());
    }
    bad = dir.resolve("broken");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve("config.json"), "{\"family\": \"moe\"}");
    Files.write(bad.resolve("model.safetensors"), new byte[8]);
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
    vm = new MainViewModel(service, List.of(good, bad));
    view = new MainView(vm);
    Scene scene = new Scene(view, 1200, 700);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> condition) throws Exception {
    WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, condition);
  }

  /** Types "Hello" and generates 40 tokens with the Generate button; waits for the end. */
  private void decode(FxRobot robot) throws Exception {
    Button generate = robot.lookup("#generate").queryButton();
    waitUntil(() -> !generate.isDisabled());
    robot.interact(() -> vm.maxTokensProperty().set(40));
    javafx.scene.control.TextInputControl prompt =
        robot.lookup("#prompt").queryAs(javafx.scene.control.TextInputControl.class);
    robot.interact(() -> prompt.setText("Hello"));
    robot.interact(generate::fire);
    Label status = robot.lookup("#status").queryAs(Label.class);
    try {
      waitUntil(() -> vm.tokenCountProperty().get() > 0);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no tokens; status: " + status.getText());
    }
    waitUntil(() -> !vm.runningProperty().get());
    WaitForAsyncUtils.waitForFxEvents();
  }

  private javafx.scene.control.TabPane tabs(FxRobot robot) {
    return robot.lookup("#tabs").queryAs(javafx.scene.control.TabPane.class);
  }

  /** Selects a tab by its name (hidden tabs are drawn when shown). */
  private void show(FxRobot robot, String name) {
    Gui.selectTab(robot, name);
  }

  @Test
  void anIdleWindowStopsSamplingAndGenerateStillBringsTheWholeDecodeIn(FxRobot robot)
      throws Exception {
    Button generate = robot.lookup("#generate").queryButton();
    waitUntil(() -> !generate.isDisabled());
    Label engine = robot.lookup("#engine-info").queryAs(Label.class);
    assertTrue(engine.getText().contains("PyTorch"), engine.getText());
    // Idle, the window stops sampling (no frames) after MainView.SLEEP_AFTER_NANOS.
    waitUntil(() -> !WaitForAsyncUtils.asyncFx(view::isSampling).get());
    decode(robot);
    Label status = robot.lookup("#status").queryAs(Label.class);
    assertTrue(status.getText().startsWith("Done: 40 tokens"), status.getText());
    Label routing = robot.lookup("#routing").queryAs(Label.class);
    assertTrue(routing.getText().contains("L1 → e"), routing.getText());
    Label speed = robot.lookup("#speed").queryAs(Label.class);
    assertTrue(speed.getText().startsWith("40 tokens"), speed.getText());
  }

  @Test
  void hoveringAGeneratedTokenShowsItsRecord(FxRobot robot) throws Exception {
    decode(robot);
    // The prompt "Hello" is 5 boxes: box 5 is the first generated token.
    TokenStreamView stream = robot.lookup("#token-stream").queryAs(TokenStreamView.class);
    javafx.geometry.Bounds b = stream.localToScreen(stream.getBoundsInLocal());
    assertTrue(stream.text().startsWith("Hello"), "Copy text gives the prompt and the decode");
    javafx.geometry.Point2D at = stream.centreOf(5);
    robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + at.getX(), b.getMinY() + at.getY()));
    WaitForAsyncUtils.waitForFxEvents();
    TextArea details = robot.lookup("#token-details").queryAs(TextArea.class);
    assertTrue(details.getText().startsWith("Hovered token · "), details.getText());
    assertTrue(details.getText().contains("step 0 · position 5"), details.getText());
  }

  @Test
  void theRoutingTabExportsAChartAsPngAndSvgAndItsChartsAsOneFigure(FxRobot robot)
      throws Exception {
    decode(robot);
    show(robot, "Routing");
    Label map = robot.lookup("#routing-summary").queryAs(Label.class);
    assertTrue(map.getText().startsWith("40 tokens · load CV"), map.getText());
    assertTrue(map.getText().contains("aux loss"), map.getText());
    Chart routingMap = robot.lookup("#routing-map").queryAs(Chart.class);
    Path chartPng = dir.resolve("routing-map.png");
    Path chartSvg = dir.resolve("routing-map.svg");
    Path tabSvg = dir.resolve("routing.svg");
    writeOnFx(
        robot,
        () -> {
          routingMap.writePng(chartPng);
          routingMap.writeSvg(chartSvg);
          view.writeTabSvg(tabSvg);
        });
    java.awt.image.BufferedImage chartImage = javax.imageio.ImageIO.read(chartPng.toFile());
    assertTrue(chartImage.getWidth() > 100 && chartImage.getHeight() > 50, "chart PNG");
    org.w3c.dom.Document svg = parse(chartSvg);
    assertTrue(svg.getDocumentElement().getTagName().equals("svg"));
    assertTrue(svg.getElementsByTagName("image").getLength() == 1, "the map as one image");
    assertTrue(svg.getElementsByTagName("text").getLength() >= 4, "expert labels as text");
    org.w3c.dom.Document figure = parse(tabSvg);
    assertTrue(
        figure.getElementsByTagName("g").getLength() == 4,
        "map, current token, load and entropy charts");
    assertTrue(figure.getElementsByTagName("polyline").getLength() >= 2, "entropy lines");
  }

  @Test
  void attentionLatencyAndModelTabsDescribeTheDecodeAndTheTabExportsAsPng(FxRobot robot)
      throws Exception {
    decode(robot);
    show(robot, "Attention");
    Label attention = robot.lookup("#attention-info").queryAs(Label.class);
    assertTrue(attention.getText().startsWith("newest token at position 44"), attention.getText());
    show(robot, "Latency");
    Label latency = robot.lookup("#latency-info").queryAs(Label.class);
    assertTrue(latency.getText().startsWith("40 tokens · mean"), latency.getText());
    TextArea modelDetails = robot.lookup("#model-details").queryAs(TextArea.class);
    assertTrue(modelDetails.getText().contains("\"num_experts\": 4"), modelDetails.getText());
    Path png = dir.resolve("tab.png");
    writeOnFx(robot, () -> view.writeTabPng(png));
    java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
    assertTrue(image != null && image.getWidth() > 100 && image.getHeight() > 100, "PNG export");
  }

  @Test
  void compareWithABrokenModelBNamesItInItsSummary(FxRobot robot) throws Exception {
    decode(robot);
    Button compare = robot.lookup("#compare").queryButton();
    robot.interact(compare::fire); // A: topk, B: the first other model (here the broken one)
    Label compared = robot.lookup("#compare-summary").queryAs(Label.class);
    waitUntil(() -> !compared.getText().equals("Comparing…") && !compared.getText().isEmpty());
    assertTrue(compared.getText().contains("broken"), compared.getText());
  }

  @Test
  void explanationsMeasureTheirParagraphAgainWhenTheTextChanges(FxRobot robot) {
    Label explanation =
        robot
            .lookup(".explanation")
            .match(n -> n instanceof Widgets.Paragraph)
            .queryAs(Label.class);
    String text = explanation.getText();
    double[] heights = new double[2];
    robot.interact(
        () -> {
          heights[0] = explanation.prefHeight(300);
          explanation.setText(text + " " + text + " " + text);
          heights[1] = explanation.prefHeight(300);
          explanation.setText(text);
        });
    assertTrue(
        heights[1] > heights[0] * 1.5, "three times the text: " + heights[0] + " -> " + heights[1]);
  }

  @Test
  void allViewsShowsTheSameViewObjectsInOneGridAndGivesThemBack(FxRobot robot) throws Exception {
    decode(robot);
    javafx.scene.control.TabPane tabs = tabs(robot);
    javafx.scene.control.ToggleButton all =
        robot.lookup("#all-views").queryAs(javafx.scene.control.ToggleButton.class);
    javafx.scene.Node routingTab = tabs.getTabs().get(1).getContent();
    robot.interact(() -> all.setSelected(true));
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(tabs.getScene() == null, "the tabs give way to the grid");
    for (String id :
        new String[] {
          "#token-stream", "#routing-map", "#attention-info", "#latency-info", "#compare-summary"
        }) {
      javafx.scene.Node n = robot.lookup(id).query();
      assertTrue(Shown.shown(n), id + " shown in the grid");
    }
    assertTrue(
        robot
                .lookup("#all-views-grid")
                .queryAs(javafx.scene.layout.GridPane.class)
                .getChildren()
                .size()
            == 6,
        "six views, Model stays a tab");
    Path gridSvg = dir.resolve("grid.svg");
    writeOnFx(robot, () -> view.writeTabSvg(gridSvg));
    assertTrue(
        parse(gridSvg).getElementsByTagName("g").getLength() > 8,
        "the grid's export holds the charts of several views");
    robot.interact(() -> all.setSelected(false));
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(tabs.getScene() != null && tabs.getTabs().get(1).getContent() == routingTab);
    assertTrue(tabs.getTabs().stream().allMatch(t -> t.getContent() != null), "all back");
  }

  /** Something that writes a file, run on the JavaFX thread (exports read the scene graph). */
  private interface FileWrite {
    void run() throws java.io.IOException;
  }

  private static void writeOnFx(FxRobot robot, FileWrite write) {
    robot.interact(
        () -> {
          try {
            write.run();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  private static org.w3c.dom.Document parse(Path file) throws Exception {
    return javax.xml.parsers.DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(file.toFile());
  }

  @Test
  void aBadModelDirectoryShowsTheEnginesErrorInADialog(FxRobot robot) throws Exception {
    waitUntil(() -> vm.library().modelProperty().get() != null);
    robot.interact(
        () -> {
          vm.library().selectedModelProperty().set(bad);
          vm.library().loadSelected();
        });
    waitUntil(() -> robot.lookup("#error-dialog").tryQuery().isPresent());
    DialogPane pane = robot.lookup("#error-dialog").queryAs(DialogPane.class);
    assertTrue(pane.getContentText().contains("unknown family 'moe'"), pane.getContentText());
    assertTrue(pane.getContentText().contains("config.json"), pane.getContentText());
    Node generate = robot.lookup("#generate").query();
    assertFalse(generate.isDisabled(), "the previous model still works");
    robot.interact(() -> pane.getScene().getWindow().hide());
  }
}
