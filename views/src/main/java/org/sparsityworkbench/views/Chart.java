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

  /** What the chart shows, for a chart saved alone (the caption above it in its view). */
  private String title = "";

  /** What the chart reads under the mouse; null for a chart without a readout. */
  private Reader reader;

  private final javafx.scene.control.Label readout = new javafx.scene.control.Label();
  private final javafx.scene.shape.Rectangle band = new javafx.scene.shape.Rectangle();

  /**
   * What a chart reads at a point: the text of the readout and the column [x0, x1) it highlights
   * (x1 <= x0: no column).
   */
  record Reading(String text, double x0, double x1) {}

  /** The chart's reading at a point of its canvas; null where there is nothing to read. */
  @FunctionalInterface
  interface Reader {
    Reading at(double x, double y);
  }

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
    canvas.setOnContextMenuRequested(
        e -> showMenu(e.getX(), e.getY(), e.getScreenX(), e.getScreenY()));
    // Where the platform sends no context-menu event for a right click (Monocle, headless), the
    // release opens it; where it does (on the press), the menu is already showing.
    canvas.addEventHandler(
        javafx.scene.input.MouseEvent.MOUSE_RELEASED,
        e -> {
          if (e.getButton() == javafx.scene.input.MouseButton.SECONDARY && !menu.isShowing()) {
            showMenu(e.getX(), e.getY(), e.getScreenX(), e.getScreenY());
          }
        });
    readout.setId(name + "-readout");
    readout.getStyleClass().add("chart-readout");
    readout.setMouseTransparent(true);
    readout.setManaged(false);
    readout.setVisible(false);
    band.setId(name + "-column");
    band.setMouseTransparent(true);
    band.setManaged(false);
    band.setVisible(false);
    getChildren().addAll(band, readout);
    canvas.addEventHandler(
        javafx.scene.input.MouseEvent.MOUSE_MOVED, e -> read(e.getX(), e.getY()));
    canvas.addEventHandler(javafx.scene.input.MouseEvent.MOUSE_EXITED, e -> read(-1, -1));
  }

  /** Sets the chart's title (its caption) and returns it, to give the caption the same text. */
  String title(String text) {
    title = text;
    return text;
  }

  String title() {
    return title;
  }

  /** Gives the chart a readout under the mouse, with its column highlighted. */
  void reader(Reader r) {
    reader = r;
  }

  /** Shows the reading at a point of the canvas, or hides it (outside, or nothing there). */
  private void read(double x, double y) {
    Reading r = reader == null || x < 0 ? null : reader.at(x, y);
    if (r == null || r.text() == null || r.text().isEmpty()) {
      readout.setVisible(false);
      band.setVisible(false);
      return;
    }
    readout.setText(r.text());
    readout.autosize();
    double w = readout.getWidth();
    double h = readout.getHeight();
    double rx = x + 14 + w <= getWidth() ? x + 14 : Math.max(0, x - 8 - w);
    double ry = y + 16 + h <= getHeight() ? y + 16 : Math.max(0, y - 6 - h);
    readout.relocate(rx, ry);
    readout.setVisible(true);
    boolean column = r.x1() > r.x0();
    band.setVisible(column);
    if (column) {
      band.setX(r.x0());
      band.setY(0);
      band.setWidth(Math.max(1, r.x1() - r.x0()));
      band.setHeight(getHeight());
      band.setFill(CanvasSketch.color(Palette.accent() & 0x00ffffff | 0x40000000));
      band.setStroke(CanvasSketch.color(Palette.accent()));
      band.setStrokeWidth(1);
    }
  }

  /** Text width in pixels, as DejaVu Sans draws it at a size (a little generous). */
  static double textWidth(String text, double size) {
    return text.length() * size * 0.62;
  }

  /**
   * Tick values from 0 to at least max: steps of 1, 2 or 5 times a power of ten, about n of them.
   */
  static double[] ticks(double max, int n) {
    if (!(max > 0) || !Double.isFinite(max)) {
      return new double[] {0};
    }
    double raw = max / Math.max(1, n);
    double pow = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = pow;
    for (double m : new double[] {1, 2, 5, 10}) {
      step = m * pow;
      if (step >= raw) {
        break;
      }
    }
    int count = (int) Math.floor(max / step + 1e-9) + 1;
    double[] t = new double[count];
    for (int i = 0; i < count; i++) {
      t[i] = i * step;
    }
    return t;
  }

  /** A tick's label with as many decimals as its step needs. */
  static String tickLabel(double v, double step) {
    int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
    return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
  }

  /**
   * A value axis along x = left from bottom (0) to top (max): ticks with their values, and the unit
   * above the axis.
   */
  static void yAxis(Sketch s, double left, double top, double bottom, double max, String unit) {
    s.line(left, top, left, bottom, Palette.grid(), 1);
    int n = (int) Math.max(1, Math.min(5, (bottom - top) / 22));
    double[] t = ticks(max, n);
    double step = t.length > 1 ? t[1] : 1;
    for (double v : t) {
      double y = bottom - (bottom - top) * v / max;
      if (y < top - 0.5) {
        continue;
      }
      String label = tickLabel(v, step);
      s.line(left - 3, y, left, y, Palette.grid(), 1);
      if (v > 0) {
        s.line(left, y, s.width() - 4, y, Palette.grid() & 0x00ffffff | 0x50000000, 1);
      }
      s.text(label, Math.max(1, left - 5 - textWidth(label, 9)), y + 3.5, 9, Palette.ink());
    }
    s.text(unit, 2, Math.max(9, top - 5), 9, Palette.muted());
  }

  /**
   * A time axis along y = axisY from left to right over n steps (0..n-1): ticks at round step
   * numbers and the unit at the right end.
   */
  static void xAxis(Sketch s, double left, double right, double axisY, int n, String unit) {
    s.line(left, axisY, right, axisY, Palette.grid(), 1);
    double unitW = textWidth(unit, 9);
    int max = Math.max(1, n - 1);
    int count = (int) Math.max(1, Math.min(8, (right - left - unitW) / 48));
    double[] t = ticks(max, count);
    double step = t.length > 1 ? t[1] : 1;
    for (double v : t) {
      double x = left + (right - left) * v / max;
      String label = tickLabel(v, step);
      double w = textWidth(label, 9);
      if (x + w / 2 > right - unitW - 6) {
        continue;
      }
      s.line(x, axisY, x, axisY + 3, Palette.grid(), 1);
      s.text(label, Math.max(left - 2, x - w / 2), axisY + 12, 9, Palette.ink());
    }
    s.text(unit, right - unitW, axisY + 12, 9, Palette.muted());
  }

  /**
   * A legend of names in their colours from (x, y), flowing on to further lines when the chart is
   * narrow; returns the baseline of its last line.
   */
  static double legend(Sketch s, double x, double y, String[] names, int[] colours) {
    double at = x;
    for (int i = 0; i < names.length; i++) {
      double w = textWidth(names[i], 10);
      if (at > x && at + w > s.width() - 4) {
        at = x;
        y += 13;
      }
      s.rect(at, y - 7, 8, 8, colours[i]);
      s.text(names[i], at + 11, y, 10, Palette.ink());
      at += 11 + w + 12;
    }
    return y;
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
    if (!(rowH > 0)) {
      return; // a chart squeezed to nothing (the step below would not move on)
    }
    int every = rowH >= 10 ? 1 : (int) Math.min(rows, Math.ceil(10 / rowH));
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
    if (!(colW > 0)) {
      return;
    }
    int every = colW >= minSpacing ? 1 : (int) Math.min(cols, Math.ceil(minSpacing / colW));
    for (int i = 0; i < cols; i += every) {
      s.text(prefix + i, left + i * colW + 1, s.height() - 3, 10, Palette.ink());
    }
  }

  /** What the chart offers at a point of its canvas: entries of its right-click menu. */
  @FunctionalInterface
  interface Actions {
    java.util.List<MenuItem> at(double x, double y);
  }

  private Actions actions;

  /** The entries offered at the point last right-clicked, above the others. */
  private final java.util.List<MenuItem> offered = new java.util.ArrayList<>();

  /**
   * Entries for the right-click menu that depend on what lies under the mouse (turn this head off,
   * ban this expert), computed when the menu opens and shown first.
   */
  void actions(Actions a) {
    this.actions = a;
  }

  /** Opens the right-click menu at a point, with what {@link #actions} offers there first. */
  private void showMenu(double x, double y, double screenX, double screenY) {
    menu.getItems().removeAll(offered);
    offered.clear();
    if (actions != null) {
      offered.addAll(actions.at(x, y));
      if (!offered.isEmpty()) {
        offered.add(new javafx.scene.control.SeparatorMenuItem());
      }
      menu.getItems().addAll(0, offered);
    }
    menu.show(canvas, screenX, screenY);
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

  /**
   * A chart takes the room its layout gives it: its preferred size never follows its canvas (that
   * fed back into the layout: a cell that shrank a chart made it prefer less, and so on).
   */
  @Override
  protected double computePrefWidth(double height) {
    return snappedLeftInset() + 60 + snappedRightInset();
  }

  @Override
  protected double computePrefHeight(double width) {
    return snappedTopInset() + 40 + snappedBottomInset();
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

  /** The title broken into lines that fit a width. */
  private java.util.List<String> titleLines(double width) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : title.split(" ")) {
      if (!line.isEmpty() && textWidth(line + " " + word, 12) > width - 8) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.isEmpty() ? "" : " ").append(word);
    }
    lines.add(line.toString());
    return lines;
  }

  /** Draws the title band above a chart saved alone; returns its height. */
  private double paintTitle(Sketch s) {
    java.util.List<String> lines = titleLines(s.width());
    for (int i = 0; i < lines.size(); i++) {
      s.text(lines.get(i), 4, 15 + 16 * i, 12, Palette.ink());
    }
    return titleHeight(s.width());
  }

  private double titleHeight(double width) {
    return 6 + 16 * titleLines(width).size();
  }

  /**
   * The chart as an SVG document at its current size: under its title when it has one (saved alone,
   * a chart must say what it shows).
   */
  String svg() {
    double w = Math.max(2, canvas.getWidth());
    double h = Math.max(2, canvas.getHeight());
    SvgSketch s = new SvgSketch(w, h);
    s.rect(0, 0, s.width(), s.height(), Palette.paper());
    paint(s);
    if (title.isEmpty()) {
      return s.document();
    }
    double band = titleHeight(w);
    SvgSketch head = new SvgSketch(w, band);
    head.rect(0, 0, w, h + band, Palette.paper());
    paintTitle(head);
    return SvgSketch.document(
        w,
        h + band,
        head.body()
            + String.format(java.util.Locale.ROOT, "<g transform=\"translate(0,%.1f)\">%n", band)
            + s.body()
            + "</g>\n");
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
    if (!title.isEmpty()) {
      // The title above the chart, as in the SVG.
      double band = titleHeight(image.getWidth());
      Canvas framed = new Canvas(image.getWidth(), image.getHeight() + band);
      CanvasSketch s = new CanvasSketch(framed, new java.util.ArrayList<>());
      s.rect(0, 0, s.width(), s.height(), Palette.paper());
      paintTitle(s);
      framed.getGraphicsContext2D().drawImage(image, 0, band);
      image = framed.snapshot(null, null);
    }
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
