package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import org.sparsityworkbench.viewmodels.ControllerViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;
import org.sparsityworkbench.viewmodels.WindowStats;

/**
 * Scaling Transformers controller masks: the newest token's blocks x units mask, tokens x blocks
 * coloured by the chosen unit, how often each unit of each block is used, and sparse QKV module
 * activity over the tokens.
 */
public final class ControllerView extends BorderPane {
  private final ControllerViewModel vm;
  private final Label summary = new Label();
  private final Shown labels = new Shown(this, this::updateLabels);
  private final Chart mask = new Chart("controller-mask", this::paintMask);
  private final Chart history = new Chart("controller-history", this::paintHistory);
  private final Chart usage = new Chart("controller-usage", this::paintUsage);
  private final Chart modules = new Chart("qkv-modules", this::paintModules);

  public ControllerView(ControllerViewModel vm) {
    this.vm = vm;
    setId("controller-view");
    summary.setId("controller-summary");
    HBox top =
        Widgets.topRow(
            new Label("Layer"), Widgets.layerPicker(vm.shown(), "controller-layer"), summary);
    top.setPadding(new Insets(0, 0, 6, 0));
    setTop(top);
    GridPane grid = Widgets.grid(2, 0, 45, 0, 45);
    grid.add(
        Widgets.caption(mask.title("Newest token: units (rows) x blocks, chosen unit marked")),
        0,
        0);
    grid.add(
        Widgets.caption(
            history.title("Tokens x blocks, colour = chosen unit, newest on the right")),
        1,
        0);
    grid.add(mask, 0, 1);
    grid.add(history, 1, 1);
    Label usageCaption = Widgets.caption("");
    usageCaption
        .textProperty()
        .bind(Palette.moreIs("Unit usage in the window: units x blocks, %s = more"));
    usageCaption.textProperty().subscribe((String t) -> usage.title(t));
    grid.add(usageCaption, 0, 2);
    grid.add(
        Widgets.caption(modules.title("Sparse QKV: module activity (RMS), modules x tokens")),
        1,
        2);
    mask.reader((x, y) -> readUnits(mask, x, y, false));
    usage.reader((x, y) -> readUnits(usage, x, y, true));
    history.reader((x, y) -> readTokens(history, x, y, false));
    modules.reader((x, y) -> readTokens(modules, x, y, true));
    mask.actions((x, y) -> unitActions(mask, x, y));
    usage.actions((x, y) -> unitActions(usage, x, y));
    history.actions((x, y) -> blockActions(tokenRow(history, x, y, false)));
    modules.actions((x, y) -> moduleActions(tokenRow(modules, x, y, true)));
    grid.add(usage, 0, 3);
    grid.add(modules, 1, 3);
    setCenter(grid);
    setBottom(
        Widgets.explanation(
            "Sparse FF (Scaling Transformers, arXiv 2111.12763): the d_ff units form d_ff/N blocks"
                + " of N. A low-rank controller computes logits = (x A) B + b, reshaped to blocks;"
                + " each block keeps its argmax unit, so decoding reads one row of W1 and W2 per"
                + " block: d_ff/N units instead of d_ff. Sparse QKV: a multiplicative layer makes S"
                + " modules M[n] = (x ⊙ G[n]) P + b[n], shared by Q, K and V, which are causal"
                + " convolutions over positions and neighbouring modules of M; shown here as each"
                + " module's RMS per token."));
    vm.window().addListener((ListChangeListener<TokenSnapshot>) c -> redrawAll());
    vm.shown().colourLayerProperty().subscribe(l -> redrawAll());
  }

  private void redrawAll() {
    mask.request();
    history.request();
    usage.request();
    modules.request();
    labels.request();
  }

  private void updateLabels() {
    List<TokenSnapshot> w = vm.window();
    WindowStats.Units u = w.isEmpty() ? null : WindowStats.units(w, layer());
    summary.setText(u == null ? "" : describe(u, w.size(), w.getLast().blockSize()));
  }

  /** "120 tokens · 16 blocks of 16 units · 9.4 different units per block · ...". */
  static String describe(WindowStats.Units u, int tokens, int blockSize) {
    return String.format(
        Locale.ROOT,
        "%d tokens · %d blocks of %d units · %.1f different units per block · the most used unit"
            + " of a block is chosen %.0f%% of the time · mean confidence %.2f",
        tokens,
        u.counts().length,
        blockSize,
        u.distinctPerBlock(),
        100 * u.dominantShare(),
        u.meanConfidence());
  }

  private int layer() {
    return Widgets.shownLayer(vm.shown(), vm.window());
  }

  private boolean noController(Sketch s, List<TokenSnapshot> w) {
    if (w.isEmpty()) {
      Chart.message(s, "Press Generate: the controller's choices draw here.");
      return true;
    }
    if (w.getLast().chosen() == null && vm.shown().showsPatches()) {
      Chart.message(s, Widgets.MEGABYTE_ELSEWHERE);
      return true;
    }
    if (w.getLast().chosen() == null) {
      Chart.message(s, "No sparse FF controller in this model: pick sparse-ff or sparse-ffqkv.");
      return true;
    }
    return false;
  }

  private void paintMask(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (noController(s, w)) {
      return;
    }
    TokenSnapshot t = w.getLast();
    int l = layer();
    int blocks = t.chosen()[l].length;
    int n = t.blockSize();
    int[] cells = new int[n * blocks];
    java.util.Arrays.fill(cells, Palette.empty());
    for (int b = 0; b < blocks; b++) {
      cells[t.chosen()[l][b] * blocks + b] = Palette.orange(0.3 + 0.7 * t.confidence()[l][b]);
    }
    double left = 26;
    double bottom = 14;
    s.cells(cells, blocks, n, left, 0, s.width() - left, s.height() - bottom);
    axes(s, left, bottom, n, blocks);
  }

  /** Unit numbers on the left, block numbers below. */
  private static void axes(Sketch s, double left, double bottom, int units, int blocks) {
    Chart.rowLabels(s, "u", units, 2, s.height() - bottom);
    Chart.columnLabels(s, "b", blocks, left, (s.width() - left) / blocks, 16);
  }

  /**
   * The units x blocks maps under the mouse (mask: the newest token's choice; usage: counts over
   * the window): the block and unit, with the block's column highlighted.
   */
  private Chart.Reading readUnits(Chart chart, double x, double y, boolean counts) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().chosen() == null || x < 26) {
      return null;
    }
    TokenSnapshot t = w.getLast();
    int l = layer();
    int blocks = t.chosen()[l].length;
    int n = t.blockSize();
    double colW = (chart.canvas().getWidth() - 26) / blocks;
    double h = chart.canvas().getHeight() - 14;
    if (y >= h) {
      return null;
    }
    int b = Math.min(blocks - 1, (int) ((x - 26) / colW));
    int unit = Math.min(n - 1, (int) (y / (h / n)));
    String text;
    if (counts) {
      WindowStats.Units u = WindowStats.units(w, l);
      text =
          String.format(
              Locale.ROOT,
              "block %d, unit %d: chosen by %d of %d tokens",
              b,
              unit,
              u.counts()[b][unit],
              w.size());
    } else {
      text =
          String.format(
              Locale.ROOT,
              "'%s', layer %d, block %d: unit %d chosen (confidence %.2f)%s",
              t.label(),
              l,
              b,
              t.chosen()[l][b],
              t.confidence()[l][b],
              t.chosen()[l][b] == unit ? "" : String.format(Locale.ROOT, "; unit %d not", unit));
    }
    return new Chart.Reading(text, 26 + b * colW, 26 + (b + 1) * colW);
  }

  /** The block and unit of a units x blocks map under a point; null off the map. */
  private int[] unitCell(Chart chart, double x, double y) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().chosen() == null || x < 26) {
      return null;
    }
    int blocks = w.getLast().chosen()[layer()].length;
    int n = w.getLast().blockSize();
    double colW = (chart.canvas().getWidth() - 26) / blocks;
    double h = chart.canvas().getHeight() - 14;
    return y >= h
        ? null
        : new int[] {
          Math.min(blocks - 1, (int) ((x - 26) / colW)), Math.min(n - 1, (int) (y / (h / n)))
        };
  }

  /** The row (block or module) of a tokens map under a point; -1 off the map. */
  private int tokenRow(Chart chart, double x, double y, boolean qkv) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || (qkv ? w.getLast().qkv() == null : w.getLast().chosen() == null)) {
      return -1;
    }
    double width = Math.min(chart.canvas().getWidth() - 26, w.size() * 12.0);
    double h = chart.canvas().getHeight() - 14;
    if (x < chart.canvas().getWidth() - width || y >= h) {
      return -1;
    }
    int rows = qkv ? w.getLast().qkv()[layer()].length : w.getLast().chosen()[layer()].length;
    return Math.min(rows - 1, (int) (y / (h / rows)));
  }

  /** Forcing the unit under the mouse in its block, or turning the block off (the layer shown). */
  private List<javafx.scene.control.MenuItem> unitActions(Chart chart, double x, double y) {
    int[] cell = unitCell(chart, x, y);
    if (cell == null || !vm.intervention().interventionKinds().contains("force-unit")) {
      return List.of();
    }
    int l = layer();
    List<javafx.scene.control.MenuItem> items = new java.util.ArrayList<>();
    items.add(
        Widgets.intervention(
            vm.intervention(),
            "force-unit",
            l + ":" + cell[0] + ":" + cell[1],
            "Force unit " + cell[1] + " in block " + cell[0] + " of layer " + l,
            "Stop forcing unit " + cell[1] + " in block " + cell[0] + " of layer " + l));
    items.addAll(blockActions(cell[0]));
    return items;
  }

  /** Turning a block of the sparse feed-forward off in the layer shown; none for no block. */
  private List<javafx.scene.control.MenuItem> blockActions(int block) {
    if (block < 0 || !vm.intervention().interventionKinds().contains("block-off")) {
      return List.of();
    }
    int l = layer();
    return List.of(
        Widgets.intervention(
            vm.intervention(),
            "block-off",
            l + ":" + block,
            "Turn block " + block + " of layer " + l + " off",
            "Turn block " + block + " of layer " + l + " back on"));
  }

  /** Turning a sparse QKV module off in the layer shown; none for no module. */
  private List<javafx.scene.control.MenuItem> moduleActions(int module) {
    if (module < 0 || !vm.intervention().interventionKinds().contains("module-off")) {
      return List.of();
    }
    int l = layer();
    return List.of(
        Widgets.intervention(
            vm.intervention(),
            "module-off",
            l + ":" + module,
            "Turn module " + module + " of layer " + l + " off",
            "Turn module " + module + " of layer " + l + " back on"));
  }

  /**
   * The tokens maps under the mouse (history: chosen units; modules: QKV activity): the token and
   * the row's value, with the token's column highlighted.
   */
  private Chart.Reading readTokens(Chart chart, double x, double y, boolean qkv) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || (qkv ? w.getLast().qkv() == null : w.getLast().chosen() == null)) {
      return null;
    }
    int l = layer();
    int cols = w.size();
    double width = Math.min(chart.canvas().getWidth() - 26, cols * 12.0);
    double x0 = chart.canvas().getWidth() - width;
    double h = chart.canvas().getHeight() - 14;
    if (x < x0 || y >= h) {
      return null;
    }
    double colW = width / cols;
    int i = Math.min(cols - 1, (int) ((x - x0) / colW));
    TokenSnapshot t = w.get(i);
    int rows = qkv ? t.qkv()[l].length : t.chosen()[l].length;
    int row = Math.min(rows - 1, (int) (y / (h / rows)));
    String text =
        qkv
            ? String.format(
                Locale.ROOT,
                "'%s' at position %d, layer %d: module %d RMS %.3f",
                t.label(),
                t.position(),
                l,
                row,
                t.qkv()[l][row])
            : String.format(
                Locale.ROOT,
                "'%s' at position %d, layer %d: block %d chose unit %d",
                t.label(),
                t.position(),
                l,
                row,
                t.chosen()[l][row]);
    return new Chart.Reading(text, x0 + i * colW, x0 + (i + 1) * colW);
  }

  private void paintHistory(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (noController(s, w)) {
      return;
    }
    int l = layer();
    int blocks = w.getLast().chosen()[l].length;
    int n = w.getLast().blockSize();
    int cols = w.size();
    int[] cells = new int[blocks * cols];
    for (int x = 0; x < cols; x++) {
      int[] c = w.get(x).chosen()[l];
      for (int b = 0; b < blocks; b++) {
        cells[b * cols + x] = Palette.category(c[b], n);
      }
    }
    double left = 26;
    double width = Math.min(s.width() - left, cols * 12.0);
    s.cells(cells, cols, blocks, s.width() - width, 0, width, s.height() - 14);
    Chart.rowLabels(s, "b", blocks, 2, s.height() - 14);
    s.text(cols + " tokens →", s.width() - 70, s.height() - 3, 10, Palette.muted());
  }

  private void paintUsage(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().chosen() == null) {
      return;
    }
    WindowStats.Units u = WindowStats.units(w, layer());
    int blocks = u.counts().length;
    int n = w.getLast().blockSize();
    int max = 1;
    for (int[] block : u.counts()) {
      for (int c : block) {
        max = Math.max(max, c);
      }
    }
    int[] cells = new int[n * blocks];
    for (int b = 0; b < blocks; b++) {
      for (int unit = 0; unit < n; unit++) {
        int c = u.counts()[b][unit];
        cells[unit * blocks + b] = c == 0 ? Palette.zero() : Palette.blue(0.15 + 0.85 * c / max);
      }
    }
    double left = 26;
    double bottom = 14;
    s.cells(cells, blocks, n, left, 0, s.width() - left, s.height() - bottom);
    axes(s, left, bottom, n, blocks);
  }

  private void paintModules(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty()) {
      return;
    }
    if (w.getLast().qkv() == null) {
      Chart.message(s, "No sparse QKV in this model: pick sparse-ffqkv to see module activity.");
      return;
    }
    int l = layer();
    int m = w.getLast().qkv()[l].length;
    int cols = w.size();
    float max = 1e-9f;
    for (TokenSnapshot t : w) {
      for (float v : t.qkv()[l]) {
        max = Math.max(max, v);
      }
    }
    int[] cells = new int[m * cols];
    for (int x = 0; x < cols; x++) {
      float[] a = w.get(x).qkv()[l];
      for (int y = 0; y < m; y++) {
        cells[y * cols + x] = Palette.purple(a[y] / max);
      }
    }
    double left = 26;
    double width = Math.min(s.width() - left, cols * 12.0);
    s.cells(cells, cols, m, s.width() - width, 0, width, s.height() - 14);
    Chart.rowLabels(s, "m", m, 2, s.height() - 14);
    s.text(
        String.format(Locale.ROOT, "max RMS %.2f · %d tokens →", max, cols),
        s.width() - 150,
        s.height() - 3,
        10,
        Palette.muted());
  }
}
