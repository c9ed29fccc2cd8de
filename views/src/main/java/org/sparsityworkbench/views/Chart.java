package org.sparsityworkbench.views;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import javafx.scene.canvas.Canvas;
import javafx.scene.control.ContextMenu;
import javafx.scene.control.MenuItem;
import javafx.scene.layout.Region;
import javafx.stage.FileChooser;

/**
 * One figure of a view: a canvas that fills its region, painted through a {@link Sketch} so that
 * the same code draws it on screen and writes it as SVG. Painted only while visible ({@link
 * Shown}), at most once per frame per request. Right-click saves it as PNG or SVG.
 */
class Chart extends Region {
  private final Canvas canvas = new Canvas();

  /** The images that {@link CanvasSketch#cells} reuses from paint to paint. */
  private final java.util.List<CanvasSketch.Pixels> images = new java.util.ArrayList<>();

  private final Shown shown;
  private final Consumer<Sketch> painter;
  private final String name;
  private final ContextMenu menu = new ContextMenu();

  /**
   * @param name file name stem for exports, also the node's id
   * @param painter draws the chart on the sketch it is given; null when a subclass overrides {@link
   *     #paint}
   */
  Chart(String name, Consumer<Sketch> painter) {
    this.name = name;
    this.painter = painter;
    setId(name);
    getStyleClass().add("chart");
    getChildren().add(canvas);
    shown = new Shown(this, this::paintNow);
    MenuItem png = new MenuItem("Save chart as PNG…");
    png.setOnAction(e -> save("png"));
    MenuItem svg = new MenuItem("Save chart as SVG…");
    svg.setOnAction(e -> save("svg"));
    menu.getItems().addAll(png, svg);
    canvas.setOnContextMenuRequested(e -> menu.show(canvas, e.getScreenX(), e.getScreenY()));
  }

  /** A hint in place of a chart that has nothing to show yet. */
  static void message(Sketch s, String text) {
    s.text(text, 10, 20, 13, Palette.muted());
  }

  /**
   * Labels prefix0, prefix1, ... at the left edge (x) of rows that share the height from the top,
   * every n-th one when rows are too thin for all.
   */
  static void rowLabels(Sketch s, String prefix, int rows, double x, double height) {
    double rowH = height / rows;
    int every = rowH >= 10 ? 1 : (int) Math.ceil(10 / rowH);
    double size = Math.min(10, Math.max(8, rowH));
    for (int i = 0; i < rows; i += every) {
      s.text(prefix + i, x, i * rowH + rowH / 2 + 4, size, Palette.ink());
    }
  }

  /**
   * Labels prefix0, prefix1, ... along the bottom edge under columns of width colW from left, every
   * n-th one when columns are narrower than minSpacing.
   */
  static void columnLabels(
      Sketch s, String prefix, int cols, double left, double colW, double minSpacing) {
    int every = colW >= minSpacing ? 1 : (int) Math.ceil(minSpacing / colW);
    for (int i = 0; i < cols; i += every) {
      s.text(prefix + i, left + i * colW + 1, s.height() - 3, 10, Palette.ink());
    }
  }

  /** Adds an entry to the chart's right-click menu, before the save entries. */
  void addMenuItem(MenuItem item) {
    menu.getItems().addFirst(item);
  }

  /** Draws now if visible, otherwise as soon as the chart is shown. */
  void request() {
    shown.request();
  }

  /** The canvas, for mouse handlers. */
  Canvas canvas() {
    return canvas;
  }

  String name() {
    return name;
  }

  @Override
  protected void layoutChildren() {
    double w = Math.floor(getWidth());
    double h = Math.floor(getHeight());
    if (w != canvas.getWidth() || h != canvas.getHeight()) {
      canvas.setWidth(w);
      canvas.setHeight(h);
      request();
    }
  }

  private void paintNow() {
    if (canvas.getWidth() < 2 || canvas.getHeight() < 2) {
      return;
    }
    CanvasSketch s = new CanvasSketch(canvas, images);
    if (!paintIncrement(s)) {
      s.rect(0, 0, s.width(), s.height(), Palette.paper());
      paint(s);
    }
  }

  /**
   * Brings the on-screen chart up to date by drawing only what changed since the last paint; false
   * when that is not possible and the chart must be painted whole. The canvas keeps what was drawn
   * before, so a chart that only grows (the token stream) repaints a few cells per frame.
   */
  boolean paintIncrement(Sketch s) {
    return false;
  }

  /** Draws the chart on a sketch already filled with paper. */
  void paint(Sketch s) {
    painter.accept(s);
  }

  /** The chart as an SVG document at its current size. */
  String svg() {
    SvgSketch s = new SvgSketch(Math.max(2, canvas.getWidth()), Math.max(2, canvas.getHeight()));
    s.rect(0, 0, s.width(), s.height(), Palette.paper());
    paint(s);
    return s.document();
  }

  /**
   * The chart's SVG shapes at its current size, moved to (x, y): for a figure of several charts.
   */
  String svgGroup(double x, double y) {
    SvgSketch s = new SvgSketch(Math.max(2, canvas.getWidth()), Math.max(2, canvas.getHeight()));
    s.rect(0, 0, s.width(), s.height(), Palette.paper());
    paint(s);
    return String.format(
            java.util.Locale.ROOT, "<g id=\"%s\" transform=\"translate(%.1f,%.1f)\">%n", name, x, y)
        + s.body()
        + "</g>\n";
  }

  void writeSvg(Path file) throws IOException {
    Files.writeString(file, svg(), StandardCharsets.UTF_8);
  }

  void writePng(Path file) throws IOException {
    paintNow();
    javafx.scene.image.WritableImage image = canvas.snapshot(null, null);
    javax.imageio.ImageIO.write(
        javafx.embed.swing.SwingFXUtils.fromFXImage(image, null), "png", file.toFile());
  }

  /** The save dialog of the right-click menu (it starts in the folder of the last export). */
  FileChooser saveChooser(String kind) {
    return MainView.saveChooser(
        name + "." + kind, kind.toUpperCase(java.util.Locale.ROOT) + " image", "*." + kind);
  }

  private void save(String kind) {
    File file = saveChooser(kind).showSaveDialog(getScene().getWindow());
    if (file == null) {
      return;
    }
    Folders.SHARED.saved(file.toPath());
    try {
      if (kind.equals("svg")) {
        writeSvg(file.toPath());
      } else {
        writePng(file.toPath());
      }
    } catch (IOException | RuntimeException ex) {
      Dialogs.error(this, "Cannot write " + file + ": " + ex.getMessage());
    }
  }
}
