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
    stage.setX(0);
    stage.setY(0);
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
    Gui.selectTab(robot, name);
  }

  /** Moves the mouse to a point of a chart's canvas (its local coordinates). */
  private static void hover(FxRobot robot, Chart chart, double x, double y) {
    Point2D p = chart.canvas().localToScreen(x, y);
    robot.moveTo(p);
    WaitForAsyncUtils.waitForFxEvents();
  }

  @Test
  void attentionPanelsEndAtTheModelsContext(FxRobot robot) throws Exception {
    resize(robot, 1400, 860);
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
    robot.interact(Folders.SHARED::forget); // what other windows of this test run opened
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
          stage.setX(0); // inside the headless screen (1600 x 1000)
          stage.setY(0);
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

  /** A text of an SVG chart as the box it covers (font metrics of the text's size). */
  private static javafx.geometry.Rectangle2D box(org.w3c.dom.Element text) {
    javafx.scene.text.Text t = new javafx.scene.text.Text(text.getTextContent());
    t.setFont(
        javafx.scene.text.Font.font(
            text.getAttribute("font-family").startsWith("DejaVu Sans Mono")
                ? "DejaVu Sans Mono"
                : "DejaVu Sans",
            Double.parseDouble(text.getAttribute("font-size"))));
    javafx.geometry.Bounds b = t.getLayoutBounds(); // y from the baseline
    double dy = 0; // inside the translated group of a titled chart
    if (text.getParentNode() instanceof org.w3c.dom.Element g && g.hasAttribute("transform")) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("translate\\(([-\\d.]+),([-\\d.]+)\\)")
              .matcher(g.getAttribute("transform"));
      if (m.find()) {
        dy = Double.parseDouble(m.group(2));
      }
    }
    return new javafx.geometry.Rectangle2D(
        Double.parseDouble(text.getAttribute("x")) + b.getMinX(),
        Double.parseDouble(text.getAttribute("y")) + dy + b.getMinY(),
        b.getWidth(),
        b.getHeight() * 0.8); // the line's glyphs, without the space below the descenders
  }

  /** The texts of a chart's SVG that overlap another of its texts or run out of the chart. */
  static List<String> crowdedTexts(Chart chart) throws Exception {
    String svg = WaitForAsyncUtils.asyncFx(chart::svg).get();
    org.w3c.dom.Document doc =
        javax.xml.parsers.DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(
                new java.io.ByteArrayInputStream(
                    svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    double w = Double.parseDouble(doc.getDocumentElement().getAttribute("width"));
    double h = Double.parseDouble(doc.getDocumentElement().getAttribute("height"));
    org.w3c.dom.NodeList texts = doc.getElementsByTagName("text");
    List<String> crowded = new java.util.ArrayList<>();
    List<javafx.geometry.Rectangle2D> boxes = new java.util.ArrayList<>();
    for (int i = 0; i < texts.getLength(); i++) {
      org.w3c.dom.Element e = (org.w3c.dom.Element) texts.item(i);
      javafx.geometry.Rectangle2D b = box(e);
      if (b.getMinX() < -1 || b.getMaxX() > w + 1 || b.getMinY() < -1 || b.getMaxY() > h + 1) {
        crowded.add("'" + e.getTextContent() + "' runs out of the chart");
      }
      for (int j = 0; j < boxes.size(); j++) {
        if (boxes.get(j).intersects(b)) {
          crowded.add(
              "'" + e.getTextContent() + "' overlaps '" + texts.item(j).getTextContent() + "'");
        }
      }
      boxes.add(b);
    }
    return crowded;
  }

  @Test
  void allViewsFitsEveryViewInItsCellAt1400x860(FxRobot robot) throws Exception {
    resize(robot, 1400, 860); // the window of ./workbench (the stage is shared by the tests)
    decode(robot, 120);
    robot.interact(() -> vm.compare().compare());
    waitUntil(() -> !vm.compare().runningProperty().get() && !vm.compare().klHistory().isEmpty());
    robot.clickOn("#all-views");
    WaitForAsyncUtils.waitForFxEvents();
    javafx.scene.layout.GridPane grid =
        robot.lookup("#all-views-grid").queryAs(javafx.scene.layout.GridPane.class);
    TokenStreamView stream = robot.lookup("#token-stream").queryAs(TokenStreamView.class);
    javafx.scene.Node decodeCell = grid.getChildren().getFirst();
    assertTrue(
        stream.getWidth() >= 0.6 * decodeCell.getLayoutBounds().getWidth(),
        "the decoded text has most of its cell: " + stream.getWidth());
    for (javafx.scene.Node cell : grid.getChildren()) {
      javafx.geometry.Bounds c = cell.localToScene(cell.getLayoutBounds());
      for (javafx.scene.Node n : cell.lookupAll(".chart")) {
        if (!Shown.shown(n)) {
          continue;
        }
        javafx.geometry.Bounds b = n.localToScene(n.getLayoutBounds());
        assertTrue(
            b.getHeight() >= 50
                && b.getMinY() >= c.getMinY() - 0.5
                && b.getMaxY() <= c.getMaxY() + 0.5,
            n.getId() + " fits its cell: " + b + " in " + c);
      }
      for (javafx.scene.Node n : cell.lookupAll(".label")) {
        if (n instanceof Label l
            && Shown.shown(l)
            && l.getText() != null
            && !l.getText().isBlank()) {
          javafx.scene.text.Text shown = (javafx.scene.text.Text) l.lookup(".text");
          assertTrue(
              shown != null && shown.getText().equals(l.getText()),
              "not cut short: '"
                  + l.getText()
                  + "' shows as '"
                  + (shown == null ? null : shown.getText())
                  + "'");
          javafx.geometry.Bounds b = l.localToScene(l.getLayoutBounds());
          assertTrue(b.getMaxY() <= c.getMaxY() + 0.5, "inside its cell: '" + l.getText() + "'");
        }
      }
    }
    for (String id : new String[] {"#latency-line", "#latency-components"}) {
      List<String> crowded = crowdedTexts(robot.lookup(id).queryAs(Chart.class));
      assertTrue(crowded.isEmpty(), id + ": " + crowded);
    }
    Path png = dir.resolve("all-views.png");
    robot.interact(
        () -> {
          try {
            view.writeTabPng(png);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
    assertTrue(
        image.getWidth() >= grid.getWidth() - 1 && image.getHeight() >= grid.getHeight() - 1,
        "the grid's PNG is the whole grid");
  }

  private static org.w3c.dom.Document parseSvg(String svg) throws Exception {
    return javax.xml.parsers.DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(
            new java.io.ByteArrayInputStream(
                svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** The texts of an SVG document. */
  private static List<String> texts(org.w3c.dom.Document doc) {
    org.w3c.dom.NodeList t = doc.getElementsByTagName("text");
    List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < t.getLength(); i++) {
      out.add(t.item(i).getTextContent());
    }
    return out;
  }

  private static long numbers(List<String> texts) {
    return texts.stream().filter(t -> t.matches("\\d+(\\.\\d+)?")).count();
  }

  @Test
  void chartsSavedAloneAndTabFiguresSayWhatTheyShowWithScaledAxes(FxRobot robot) throws Exception {
    resize(robot, 1400, 860);
    decode(robot, 120);
    selectTab(robot, "Latency");
    Chart latency = robot.lookup("#latency-line").queryAs(Chart.class);
    List<String> alone = texts(parseSvg(WaitForAsyncUtils.asyncFx(latency::svg).get()));
    assertTrue(alone.contains("Time per token (ms), newest on the right"), "title: " + alone);
    assertTrue(alone.contains("ms") && alone.contains("token"), "axis units: " + alone);
    assertTrue(numbers(alone) >= 6, "ticks on both axes, not only max and 0: " + alone);
    Path png = dir.resolve("latency-line.png");
    robot.interact(
        () -> {
          try {
            latency.writePng(png);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    assertTrue(
        javax.imageio.ImageIO.read(png.toFile()).getHeight() > latency.canvas().getHeight() + 15,
        "the PNG has its title above the chart");

    selectTab(robot, "Routing");
    List<String> entropy =
        texts(
            parseSvg(
                WaitForAsyncUtils.asyncFx(
                        robot.lookup("#routing-entropy").queryAs(Chart.class)::svg)
                    .get()));
    assertTrue(entropy.contains("nats") && entropy.contains("token"), "entropy axes: " + entropy);
    assertTrue(numbers(entropy) >= 4, "entropy ticks: " + entropy);
    List<String> load =
        texts(
            parseSvg(
                WaitForAsyncUtils.asyncFx(robot.lookup("#routing-load").queryAs(Chart.class)::svg)
                    .get()));
    assertTrue(load.contains("tokens") && numbers(load) >= 3, "expert load's y scale: " + load);

    // The tab's figure: the charts with their titles and the figures above them, from the top.
    Path tab = dir.resolve("routing-tab.svg");
    robot.interact(
        () -> {
          try {
            view.writeTabSvg(tab);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    org.w3c.dom.Document figure = parseSvg(Files.readString(tab));
    List<String> all = texts(figure);
    assertTrue(
        all.contains("Tokens x experts, newest on the right (hover a column)")
            && all.contains("Expert load in the window"),
        "chart titles: " + all);
    assertTrue(
        all.stream().anyMatch(t -> t.startsWith("120 tokens · load CV")), "header figures: " + all);
    double top = Double.MAX_VALUE;
    org.w3c.dom.NodeList t = figure.getElementsByTagName("text");
    for (int i = 0; i < t.getLength(); i++) {
      top = Math.min(top, Double.parseDouble(((org.w3c.dom.Element) t.item(i)).getAttribute("y")));
    }
    assertTrue(top < 24, "no blank band at the top: the first text at y = " + top);
  }

  /** Hovers a chart at a fraction of its size; returns its readout's text, null when hidden. */
  private static String readAt(FxRobot robot, Chart chart, double fx, double fy) {
    hover(robot, chart, chart.canvas().getWidth() * fx, chart.canvas().getHeight() * fy);
    Label readout = robot.lookup("#" + chart.getId() + "-readout").queryAs(Label.class);
    javafx.scene.shape.Rectangle band =
        robot.lookup("#" + chart.getId() + "-column").queryAs(javafx.scene.shape.Rectangle.class);
    if (!readout.isVisible()) {
      return null;
    }
    assertTrue(
        band.isVisible() && band.getWidth() >= 1, chart.getId() + ": the column highlighted");
    return readout.getText();
  }

  @Test
  void everyChartReadsOutWhatIsUnderTheMouse(FxRobot robot) throws Exception {
    resize(robot, 1400, 860);
    decode(robot, 60);
    robot.interact(() -> vm.compare().compare());
    waitUntil(() -> !vm.compare().runningProperty().get() && !vm.compare().klHistory().isEmpty());
    robot.clickOn("#all-views");
    WaitForAsyncUtils.waitForFxEvents();
    Map<String, double[]> at = new java.util.LinkedHashMap<>();
    at.put("route-legend", new double[] {0.01, 0.5});
    at.put("routing-map", new double[] {0.9, 0.5});
    at.put("routing-current", new double[] {0.5, 0.4});
    at.put("routing-load", new double[] {0.5, 0.6});
    at.put("routing-entropy", new double[] {0.6, 0.6});
    at.put("attention-current", new double[] {0.5, 0.3});
    at.put("attention-heads", new double[] {0.2, 0.2});
    at.put("latency-line", new double[] {0.6, 0.6});
    at.put("latency-components", new double[] {0.0, 0.85});
    at.put("compare-latency", new double[] {0.6, 0.6});
    at.put("compare-kl", new double[] {0.6, 0.6});
    for (Map.Entry<String, double[]> e : at.entrySet()) {
      Chart chart = robot.lookup("#" + e.getKey()).queryAs(Chart.class);
      double fx =
          switch (e.getKey()) {
            case "latency-components" -> 30 / chart.canvas().getWidth(); // the bar
            case "route-legend" -> 8 / chart.canvas().getWidth(); // the first swatch
            default -> e.getValue()[0];
          };
      String text = readAt(robot, chart, fx, e.getValue()[1]);
      assertTrue(
          text != null && !text.isBlank(), e.getKey() + " reads out what is under the mouse");
    }
    String latency = readAt(robot, robot.lookup("#latency-line").queryAs(Chart.class), 0.6, 0.6);
    assertTrue(latency.matches("token \\d+ .* ms .*"), latency);

    // The controller's charts, on the sparse model.
    robot.clickOn("#all-views");
    robot.interact(
        () -> {
          vm.library().selectedModelProperty().set(sparse);
          vm.library().loadSelected();
        });
    waitUntil(() -> "sparse-ffqkv".equals(vm.shown().familyProperty().get()));
    decode(robot, 60);
    robot.clickOn("#all-views");
    WaitForAsyncUtils.waitForFxEvents();
    for (String id :
        new String[] {"controller-mask", "controller-history", "controller-usage", "qkv-modules"}) {
      String text = readAt(robot, robot.lookup("#" + id).queryAs(Chart.class), 0.7, 0.4);
      assertTrue(text != null && !text.isBlank(), id + " reads out what is under the mouse");
    }
    robot.clickOn("#all-views");
  }
}
