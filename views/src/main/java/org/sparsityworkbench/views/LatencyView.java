package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Latency per token (line, milliseconds, with its running mean) and the mean time per component
 * over the recent tokens as a stacked bar, with tokens/s, FLOPs and active parameters per token.
 */
public final class LatencyView extends BorderPane {
  static final int[] COLORS = {0xff3b6fd8, 0xffd8703b, 0xff4aa36a, 0xff9b59b6};
  private final MainViewModel vm;
  private final Chart line = new Chart("latency-line", this::paintLine);
  private final Chart stack = new Chart("latency-components", this::paintStack);
  private final Label info = new Label();
  private final Shown labels = new Shown(this, this::updateLabels);

  public LatencyView(MainViewModel vm) {
    this.vm = vm;
    setId("latency-view");
    info.setId("latency-info");
    info.setPadding(new Insets(0, 0, 6, 0));
    info.setWrapText(true);
    setTop(info);
    VBox left = new VBox(4, Widgets.caption("Time per token (ms), newest on the right"), line);
    VBox.setVgrow(line, Priority.ALWAYS);
    VBox right = new VBox(4, Widgets.caption("Mean per component, last 64 tokens"), stack);
    VBox.setVgrow(stack, Priority.ALWAYS);
    right.setPrefWidth(320);
    right.setMinWidth(260);
    HBox.setHgrow(left, Priority.ALWAYS);
    setCenter(new HBox(12, left, right));
    setBottom(
        Widgets.explanation(
            "Wall time of each decode step on the engine thread: attention (with the KV cache),"
                + " router, feed-forward (experts or the gathered sparse units) and controller,"
                + " summed over layers; the rest of a step is embedding, norms and the output"
                + " head. FLOPs count 2 per multiply-add of the active weights plus attention over"
                + " the cache (docs/models.md)."));
    vm.routingHistory().addListener((ListChangeListener<TokenSnapshot>) c -> redrawAll());
    vm.modelCostProperty().subscribe(c -> redrawAll());
  }

  private void redrawAll() {
    line.request();
    stack.request();
    labels.request();
  }

  private void updateLabels() {
    List<TokenSnapshot> tokens = vm.routingHistory();
    if (tokens.isEmpty()) {
      info.setText(vm.modelCostProperty().get());
      return;
    }
    double sum = 0;
    for (TokenSnapshot t : tokens) {
      sum += t.latencyUs();
    }
    info.setText(
        String.format(
            Locale.ROOT,
            "%d tokens · mean %.2f ms/token (%.0f tokens/s) · last %.2f ms · %s",
            tokens.size(),
            sum / tokens.size() / 1e3,
            1e6 * tokens.size() / sum,
            tokens.getLast().latencyUs() / 1e3,
            vm.modelCostProperty().get()));
  }

  /**
   * Lines of values (microseconds) on a shared millisecond axis, each series with its colour; the x
   * axis spans the longest series.
   */
  static void paintSeries(Sketch s, List<List<Double>> series, int[] colours, String[] names) {
    double max = 1e-9;
    int n = 0;
    for (List<Double> v : series) {
      n = Math.max(n, v.size());
      for (double x : v) {
        max = Math.max(max, x);
      }
    }
    axes(s, max, n);
    if (n < 1) {
      return;
    }
    for (int k = 0; k < series.size(); k++) {
      line(s, series.get(k), max, n, colours[k], 1.4);
      if (names != null) {
        s.text(names[k], LEFT + 8 + 150 * k, TOP + 4, 11, colours[k]);
      }
    }
  }

  private static final double LEFT = 48;
  private static final double TOP = 14;

  private static double bottom(Sketch s) {
    return s.height() - 16;
  }

  /** Axes in milliseconds from 0 to max (given in microseconds), n steps along x. */
  private static void axes(Sketch s, double max, int n) {
    double bottom = bottom(s);
    s.line(LEFT, bottom, s.width() - 4, bottom, Palette.grid(), 1);
    s.line(LEFT, TOP, LEFT, bottom, Palette.grid(), 1);
    s.text(String.format(Locale.ROOT, "%.2f ms", max / 1e3), 2, TOP + 4, 10, Palette.ink());
    s.text("0", LEFT - 10, bottom, 10, Palette.ink());
    s.text(n + " steps", s.width() - 60, s.height() - 3, 10, Palette.muted());
  }

  /** One series as a line over n steps. */
  private static void line(Sketch s, List<Double> v, double max, int n, int colour, double width) {
    double bottom = bottom(s);
    double[] xs = new double[v.size()];
    double[] ys = new double[v.size()];
    for (int i = 0; i < v.size(); i++) {
      xs[i] = LEFT + (s.width() - 4 - LEFT) * i / Math.max(1, n - 1);
      ys[i] = bottom - (bottom - TOP) * v.get(i) / max;
    }
    s.polyline(xs, ys, v.size(), colour, width);
  }

  /** Rows of the per-token bars: the height resolution of the latency chart. */
  private static final int BAR_ROWS = 160;

  private void paintLine(Sketch s) {
    List<TokenSnapshot> tokens = vm.routingHistory();
    if (tokens.isEmpty()) {
      Chart.message(s, "Press Generate: the time of every token draws here.");
      return;
    }
    int n = tokens.size();
    double max = 1e-9;
    List<Double> mean = new java.util.ArrayList<>(n);
    double running = tokens.getFirst().latencyUs();
    for (TokenSnapshot t : tokens) {
      max = Math.max(max, t.latencyUs());
      running = 0.9 * running + 0.1 * t.latencyUs();
      mean.add(running);
    }
    axes(s, max, n);
    // Every token's time as a bar (one image: spikes stay readable), the running mean on top.
    int[] cells = new int[n * BAR_ROWS];
    java.util.Arrays.fill(cells, Palette.paper());
    int bar = Palette.soft(Palette.accent());
    for (int x = 0; x < n; x++) {
      int h = (int) Math.round(BAR_ROWS * tokens.get(x).latencyUs() / max);
      for (int y = BAR_ROWS - h; y < BAR_ROWS; y++) {
        cells[y * n + x] = bar;
      }
    }
    double bottom = bottom(s);
    double step = (s.width() - 4 - LEFT) / Math.max(1, n - 1);
    s.cells(
        cells, n, BAR_ROWS, LEFT + 1, TOP, Math.max(1, s.width() - 4 - LEFT + step), bottom - TOP);
    line(s, mean, max, n, Palette.accent(), 1.6);
    s.text("per token (bars)", LEFT + 70, TOP + 4, 11, bar);
    s.text("running mean (0.9)", LEFT + 200, TOP + 4, 11, Palette.accent());
  }

  private void paintStack(Sketch s) {
    List<TokenSnapshot> tokens = vm.routingHistory();
    if (tokens.isEmpty()) {
      return;
    }
    int recent = Math.min(64, tokens.size());
    double[] mean = new double[TokenSnapshot.COMPONENTS.size()];
    double step = 0;
    for (int i = tokens.size() - recent; i < tokens.size(); i++) {
      double[] c = tokens.get(i).componentUs();
      for (int k = 0; k < mean.length; k++) {
        mean[k] += c[k] / recent;
      }
      step += tokens.get(i).latencyUs() / recent;
    }
    double top = 8;
    double bottom = s.height() - 8;
    double scale = (bottom - top) / Math.max(step, 1e-9);
    double y = bottom;
    double parts = 0;
    for (int k = 0; k < mean.length; k++) {
      if (mean[k] <= 0) {
        continue;
      }
      parts += mean[k];
      double hh = scale * mean[k];
      s.rect(10, y - hh, 40, hh, COLORS[k]);
      s.text(
          String.format(
              Locale.ROOT,
              "%s %.0f µs (%.0f%%)",
              TokenSnapshot.COMPONENTS.get(k),
              mean[k],
              100 * mean[k] / step),
          58,
          y - hh / 2 + 4,
          11,
          Palette.ink());
      y -= hh;
    }
    double rest = Math.max(0, step - parts);
    s.outline(10, top, 40, scale * rest, Palette.grid(), 1);
    s.text(
        String.format(Locale.ROOT, "other %.0f µs · step %.0f µs", rest, step),
        58,
        top + 12,
        11,
        Palette.muted());
  }
}
