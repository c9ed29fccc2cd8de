package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.sparsityworkbench.viewmodels.AttentionGrid;
import org.sparsityworkbench.viewmodels.AttentionRows;
import org.sparsityworkbench.viewmodels.AttentionViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Attention of a layer: the newest token's row in every head (live), and a grid with one panel per
 * head showing the recent tokens (rows, oldest on top) over the positions they attend to. Long
 * contexts stay readable: when there are more positions or tokens than pixels, each pixel shows the
 * largest weight of the cells it covers (max pooling keeps sharp peaks visible); "Positions" zooms
 * to the most recent ones. Hover for the tokens and the weight.
 */
public final class AttentionView extends BorderPane {
  /** Zoom choices: how many of the most recent positions to show (0: all). */
  static final List<Integer> ZOOMS = AttentionGrid.ZOOMS;

  private final AttentionViewModel vm;
  private final ComboBox<Integer> zoom = new ComboBox<>();
  private final Label info = new Label();
  private final Shown labels = new Shown(this, this::updateLabels);
  private final Label hover = new Label(" ");
  private final Chart current = new Chart("attention-current", this::paintCurrent);
  private final Chart heads = new Chart("attention-heads", this::paintHeads);

  /** Geometry of the last painted head grid, for hovering (null: none drawn). */
  private AttentionGrid.Layout shown;

  /** The head grid's layout as last painted (tests read the panel size). */
  AttentionGrid.Layout shownLayout() {
    return shown;
  }

  public AttentionView(AttentionViewModel vm) {
    this.vm = vm;
    setId("attention-view");
    info.setId("attention-info");
    hover.setId("attention-hover");
    hover.getStyleClass().add("routing");
    zoom.setId("attention-zoom");
    zoom.getItems().setAll(ZOOMS);
    zoom.setValue(0);
    zoom.setCellFactory(l -> new ZoomCell());
    zoom.setButtonCell(new ZoomCell());
    zoom.valueProperty().subscribe(v -> redrawAll());
    HBox top =
        Widgets.topRow(
            new Label("Layer"),
            Widgets.layerPicker(vm.shown(), "attention-layer"),
            new Label("Positions"),
            zoom,
            info);
    top.setPadding(new Insets(0, 0, 6, 0));
    setTop(top);
    current.setMinHeight(60);
    current.setPrefHeight(90);
    VBox.setVgrow(heads, Priority.ALWAYS);
    setCenter(
        new VBox(
            4,
            Widgets.caption(current.title("Newest token: one row per head over positions 0..p")),
            current,
            Widgets.caption(
                heads.title(
                    "One panel per head: recent tokens (rows, newest at the bottom) x positions")),
            heads,
            hover));
    Label explanation = Widgets.explanation("");
    explanation
        .textProperty()
        .bind(
            Palette.moreIs(
                "Causal attention (Vaswani et al., arXiv 1706.03762): A = softmax(q K^T /"
                    + " sqrt(d_h)) over positions 0..p, one distribution per head; %s is more"
                    + " weight (colour ∝ sqrt of the weight). A diagonal is a head attending to the"
                    + " previous tokens, a column a head that always looks at one position."));
    setBottom(explanation);
    vm.window().addListener((ListChangeListener<TokenSnapshot>) c -> redrawAll());
    vm.shown().colourLayerProperty().subscribe(l -> redrawAll());
    heads.reader(
        (x, y) -> {
          List<TokenSnapshot> all = vm.window();
          String text =
              shown == null || all.isEmpty() || all.getLast().attentionRows() == null
                  ? null
                  : AttentionGrid.hover(shown, all, layer(), x, y, vm::labelAt);
          hover.setText(text == null ? " " : text);
          if (text == null) {
            return null;
          }
          // The pixel column under the mouse, within its panel.
          AttentionGrid.Cell c = AttentionGrid.cellAt(shown, all, x, y);
          return new Chart.Reading(text, c.x0(), c.x0() + c.width());
        });
    heads.canvas().setOnMouseExited(e -> hover.setText(" "));
    current.reader(this::readCurrent);
    heads.actions((x, y) -> Widgets.headActions(vm.intervention(), layer(), headInGrid(x, y)));
    current.actions((x, y) -> Widgets.headActions(vm.intervention(), layer(), headInRows(y)));
  }

  /** The head whose panel lies under a point of the grid; -1 between panels or with none drawn. */
  private int headInGrid(double x, double y) {
    List<TokenSnapshot> w = vm.window();
    return w.isEmpty() || w.getLast().attentionRows() == null
        ? -1
        : AttentionGrid.headAt(shown, x, y);
  }

  /** The head whose row of the newest-token chart lies at this height; -1 with none drawn. */
  private int headInRows(double y) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().attention() == null) {
      return -1;
    }
    int heads = w.getLast().attention()[layer()].length;
    double colW =
        (current.canvas().getWidth() - 26)
            / AttentionGrid.panelSpan(
                w.getLast().attention()[layer()][0].length,
                zoom.getValue() == null ? 0 : zoom.getValue(),
                vm.context())[1];
    double height = colW >= 8 ? current.canvas().getHeight() - 13 : current.canvas().getHeight();
    return y < 0 || y >= height ? -1 : Math.min(heads - 1, (int) (y / (height / heads)));
  }

  private void redrawAll() {
    current.request();
    heads.request();
    labels.request();
  }

  private void updateLabels() {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().attentionRows() == null) {
      info.setText("decode to see attention");
      return;
    }
    AttentionRows last = w.getLast().attentionRows();
    info.setText(
        String.format(
            Locale.ROOT,
            "newest token at position %d, %d heads, %d tokens in the window",
            last.length() - 1,
            last.heads(),
            w.size()));
  }

  private int layer() {
    return Widgets.shownLayer(vm.shown(), vm.window());
  }

  private void paintCurrent(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (!w.isEmpty() && w.getLast().attention() == null && vm.shown().showsPatches()) {
      Chart.message(s, Widgets.MEGABYTE_ELSEWHERE);
      return;
    }
    if (w.isEmpty() || w.getLast().attention() == null) {
      Chart.message(s, "Press Generate: attention draws here.");
      return;
    }
    float[][] rows = w.getLast().attention()[layer()];
    int positions = rows[0].length;
    int[] span =
        AttentionGrid.panelSpan(
            positions, zoom.getValue() == null ? 0 : zoom.getValue(), vm.context());
    int from = span[0];
    double left = 26;
    int cols = (int) Math.max(1, Math.min(span[1], s.width() - left));
    int[] cells = new int[cols * rows.length];
    float[] pooled = new float[cols];
    for (int h = 0; h < rows.length; h++) {
      java.util.Arrays.fill(pooled, 0);
      AttentionGrid.poolRow(rows[h], from, from + span[1], pooled);
      for (int x = 0; x < cols; x++) {
        cells[h * cols + x] = Palette.purple(Math.sqrt(pooled[x]));
      }
    }
    // Zoomed in far enough for one position per 8 pixels: the tokens themselves label the axis.
    double colW = (s.width() - left) / span[1];
    boolean labels = colW >= 8;
    double height = labels ? s.height() - 13 : s.height();
    s.cells(cells, cols, rows.length, left, 0, s.width() - left, height);
    Chart.rowLabels(s, "h", rows.length, 2, height);
    if (labels) {
      for (int p = from; p < positions; p++) {
        s.text(
            RoutingView.visible(vm.labelAt(p)),
            left + (p - from) * colW + 1,
            s.height() - 2,
            10,
            Palette.ink(),
            true);
      }
    }
  }

  /** The newest token's rows under the mouse: the head, the position and its weight. */
  private Chart.Reading readCurrent(double x, double y) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().attention() == null || x < 26) {
      return null;
    }
    float[][] rows = w.getLast().attention()[layer()];
    int positions = rows[0].length;
    int[] span =
        AttentionGrid.panelSpan(
            positions, zoom.getValue() == null ? 0 : zoom.getValue(), vm.context());
    double width = current.canvas().getWidth() - 26;
    double colW = width / span[1];
    boolean labels = colW >= 8;
    double height = labels ? current.canvas().getHeight() - 13 : current.canvas().getHeight();
    int head = Math.min(rows.length - 1, (int) (y / (height / rows.length)));
    int p = span[0] + (int) ((x - 26) / colW);
    String text =
        p >= positions
            ? String.format(
                Locale.ROOT,
                "head %d · position %d is not decoded yet (the newest is %d)",
                head,
                p,
                positions - 1)
            : String.format(
                Locale.ROOT,
                "head %d · newest token at %d → position %d '%s': %.3f",
                head,
                positions - 1,
                p,
                vm.labelAt(p),
                rows[head][p]);
    double x0 = 26 + (p - span[0]) * colW;
    return new Chart.Reading(text, x0, x0 + Math.max(1, colW));
  }

  /**
   * Each window token's pooled attention rows per head as shades (see {@link
   * Palette#attentionShade}), for the current panel geometry.
   */
  private final List<byte[][]> pooledShades = new java.util.ArrayList<>();

  /** The window tokens whose shades {@link #pooledShades} holds, in the same order. */
  private final List<TokenSnapshot> pooledTokens = new java.util.ArrayList<>();

  private int[][] cellBuffers = new int[0][];

  private String pooledKey = "";

  /** Finished rows of the head panels as pixels per head, by bin of decode steps. */
  private final java.util.Map<Integer, int[][]> rowPixels = new java.util.HashMap<>();

  private String rowPixelsKey = "";
  private float[] poolBuffer = new float[0];
  private int[] rowBuffer = new int[0];

  private void paintHeads(Sketch s) {
    List<TokenSnapshot> all = vm.window();
    int zoomed = zoom.getValue() == null ? 0 : zoom.getValue();
    AttentionGrid.Layout g = AttentionGrid.layout(all, zoomed, vm.context(), s.width(), s.height());
    shown = g;
    if (g == null) {
      return;
    }
    int l = layer();
    int h = g.heads();
    int positions = g.positions();
    int from = g.from();
    int span = g.span();
    int cols = g.cols();
    int k = g.tokensPerRow();
    int rows = g.rows();
    int firstBin = g.firstBin();
    double panelW = g.panelW();
    double panelH = g.panelH();
    double gap = AttentionGrid.GAP;
    List<TokenSnapshot> w = AttentionGrid.panelRows(all, from);
    int step0 = w.getFirst().step();
    // Pool every token once per geometry: only new tokens cost anything in the next frames. The
    // pooled run follows the window: tokens that left are dropped from its front, new ones
    // appended.
    String key = l + "/" + from + "/" + span + "/" + cols;
    if (!key.equals(pooledKey)) {
      pooledTokens.clear();
      pooledShades.clear();
    }
    int drop = 0;
    while (drop < pooledTokens.size() && pooledTokens.get(drop) != w.getFirst()) {
      drop++;
    }
    pooledTokens.subList(0, drop).clear();
    pooledShades.subList(0, drop).clear();
    if (pooledTokens.size() > w.size()
        || (!pooledTokens.isEmpty() && pooledTokens.getLast() != w.get(pooledTokens.size() - 1))) {
      pooledTokens.clear(); // another decode
      pooledShades.clear();
    }
    if (poolBuffer.length < cols) {
      poolBuffer = new float[cols];
      rowBuffer = new int[cols];
    }
    for (int i = pooledTokens.size(); i < w.size(); i++) {
      TokenSnapshot t = w.get(i);
      byte[][] shades = new byte[h][cols];
      AttentionRows a = t.attentionRows();
      if (a != null) {
        for (int head = 0; head < h; head++) {
          java.util.Arrays.fill(poolBuffer, 0, cols, 0f);
          a.pool(l, head, from, from + span, poolBuffer, cols);
          for (int x = 0; x < cols; x++) {
            shades[head][x] = (byte) Palette.attentionShade(poolBuffer[x]);
          }
        }
      }
      pooledTokens.add(t);
      pooledShades.add(shades);
    }
    String rowKey = key + "/" + k + "/" + Palette.isDark();
    if (!rowKey.equals(rowPixelsKey)) {
      rowPixels.clear();
      rowPixelsKey = rowKey;
    }
    rowPixels.keySet().removeIf(bin -> bin < firstBin);
    pooledKey = key;
    if (cellBuffers.length != h || cellBuffers[0].length < cols * rows) {
      cellBuffers = new int[h][cols * rows];
    }
    int[][] cells = cellBuffers; // the sketch copies them into its images
    for (int r = 0; r < rows; r++) {
      int bin = firstBin + r;
      int[][] pixels = rowPixels.get(bin);
      if (pixels == null) {
        // Window tokens [t0, t1) have steps in this bin; keep the darkest shade of each pixel.
        int t0 = Math.max(0, bin * k - step0);
        int t1 = Math.min(w.size(), (bin + 1) * k - step0);
        pixels = new int[h][cols];
        for (int head = 0; head < h; head++) {
          java.util.Arrays.fill(rowBuffer, 0, cols, 0);
          for (int t = t0; t < t1; t++) {
            byte[] row = pooledShades.get(t)[head];
            for (int x = 0; x < cols; x++) {
              rowBuffer[x] = Math.max(rowBuffer[x], row[x] & 0xff);
            }
          }
          for (int x = 0; x < cols; x++) {
            pixels[head][x] = Palette.purpleShade(rowBuffer[x]);
          }
        }
        boolean complete = bin * k >= step0 && t1 - t0 == k;
        if (complete) {
          rowPixels.put(bin, pixels);
        }
      }
      for (int head = 0; head < h; head++) {
        System.arraycopy(pixels[head], 0, cells[head], r * cols, cols);
      }
    }
    for (int head = 0; head < h; head++) {
      double x0 = (head % g.gridCols()) * (panelW + gap);
      double y0 = (head / g.gridCols()) * (panelH + gap);
      s.cells(cells[head], cols, rows, x0, y0, panelW, panelH);
      s.outline(x0, y0, panelW, panelH, Palette.grid(), 1);
      s.text("head " + head, x0 + panelW - 52, y0 + 14, 11, Palette.ink());
    }
    if (zoom.getValue() != null && zoom.getValue() == 0) {
      double filled = Math.min(1, (double) positions / span);
      s.text(
          String.format(Locale.ROOT, "positions 0–%d (axis to %d)", positions - 1, g.axisEnd()),
          4,
          s.height() - 4,
          10,
          filled > 0.6 ? Palette.ink() : Palette.muted());
    }
  }

  private static final class ZoomCell extends javafx.scene.control.ListCell<Integer> {
    @Override
    protected void updateItem(Integer item, boolean empty) {
      super.updateItem(item, empty);
      setText(empty || item == null ? null : item == 0 ? "all" : "last " + item);
    }
  }
}
