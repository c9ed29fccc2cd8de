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
import org.sparsityworkbench.viewmodels.LatencyViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Latency per token (line, milliseconds, with its running mean) and the mean time per component
 * over the recent tokens as a stacked bar, with tokens/s, FLOPs and active parameters per token.
 */
public final class LatencyView extends BorderPane {
  static final int[] COLORS = {
    0xff3b6fd8, 0xffd8703b, 0xff4aa36a, 0xff9b59b6, 0xffc0480f, 0xff1f4fb4
  };
  private final LatencyViewModel vm;
  private final Chart line = new Chart("latency-line", this::paintLine);
  private final Chart stack = new Chart("latency-components", this::paintStack);
  private final Label info = new Label();
  private final Shown labels = new Shown(this, this::updateLabels);

  public LatencyView(LatencyViewModel vm) {
    this.vm = vm;
    setId("latency-view");
    info.setId("latency-info");
    info.setPadding(new Insets(0, 0, 6, 0));
    info.setWrapText(true);
    setTop(info);
    VBox left =
        new VBox(4, Widgets.caption(line.title("Time per token (ms), newest on the right")), line);
    VBox.setVgrow(line, Priority.ALWAYS);
    VBox right =
        new VBox(4, Widgets.caption(stack.title("Mean per component, last 64 tokens")), stack);
    line.reader(this::readLine);
    stack.reader(this::readStack);
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
    vm.tokens().addListener((ListChangeListener<TokenSnapshot>) c -> redrawAll());
    vm.summaryProperty().subscribe(c -> redrawAll());
  }

  private void redrawAll() {
    line.request();
    stack.request();
    labels.request();
  }

  private void updateLabels() {
    info.setText(vm.summaryProperty().get());
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
    double top = names == null ? TOP : Chart.legend(s, LEFT, 11, names, colours) + 14;
    axes(s, top, max, n);
    if (n < 1) {
      return;
    }
    for (int k = 0; k < series.size(); k++) {
      line(s, series.get(k), top, max, n, colours[k], 1.4);
    }
  }

  /** Where the plot of {@link #paintSeries} or the latency line starts, for readouts. */
  static final double LEFT = 48;

  private static final double TOP = 24;

  private static double bottom(Sketch s) {
    return s.height() - 18;
  }

  /** Axes in milliseconds from 0 to max (given in microseconds) with ticks, and n steps along x. */
  private static void axes(Sketch s, double top, double max, int n) {
    double bottom = bottom(s);
    Chart.yAxis(s, LEFT, top, bottom, max / 1e3, "ms");
    Chart.xAxis(s, LEFT, s.width() - 4, bottom, n, "token");
  }

  /** The x of step i of n on the plot of a chart width wide. */
  static double stepX(double width, int i, int n) {
    return LEFT + (width - 4 - LEFT) * i / Math.max(1, n - 1);
  }

  /** The step of n under x (the nearest), or -1 left of the plot. */
  static int stepAt(double width, double x, int n) {
    if (x < LEFT - 4 || n < 1) {
      return -1;
    }
    double step = (width - 4 - LEFT) / Math.max(1, n - 1);
    return (int) Math.max(0, Math.min(n - 1, Math.round((x - LEFT) / step)));
  }

  /** The column of step i of n, for the highlight: half a step on either side, at least 3 px. */
  static Chart.Reading column(String text, double width, int i, int n) {
    double step = (width - 4 - LEFT) / Math.max(1, n - 1);
    double half = Math.max(1.5, step / 2);
    double x = stepX(width, i, n);
    return new Chart.Reading(text, x - half, x + half);
  }

  /** One series as a line over n steps. */
  private static void line(
      Sketch s, List<Double> v, double top, double max, int n, int colour, double width) {
    double bottom = bottom(s);
    double[] xs = new double[v.size()];
    double[] ys = new double[v.size()];
    for (int i = 0; i < v.size(); i++) {
      xs[i] = stepX(s.width(), i, n);
      ys[i] = bottom - (bottom - top) * v.get(i) / max;
    }
    s.polyline(xs, ys, v.size(), colour, width);
  }

  /** Rows of the per-token bars: the height resolution of the latency chart. */
  private static final int BAR_ROWS = 160;

  private void paintLine(Sketch s) {
    List<TokenSnapshot> tokens = vm.tokens();
    if (tokens.isEmpty()) {
      Chart.message(s, "Press Generate: the time of every token draws here.");
      return;
    }
    int n = tokens.size();
    double max = vm.maxLatencyUs();
    List<Double> mean = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      mean.add(vm.runningMeanUs(i));
    }
    int bar = Palette.soft(Palette.accent());
    double top =
        Chart.legend(
                s,
                LEFT,
                11,
                new String[] {"per token (bars)", "running mean (0.9)"},
                new int[] {bar, Palette.accent()})
            + 14;
    axes(s, top, max, n);
    // Every token's time as a bar (one image: spikes stay readable), the running mean on top.
    int[] cells = new int[n * BAR_ROWS];
    java.util.Arrays.fill(cells, Palette.paper());
    for (int x = 0; x < n; x++) {
      int h = (int) Math.round(BAR_ROWS * tokens.get(x).latencyUs() / max);
      for (int y = BAR_ROWS - h; y < BAR_ROWS; y++) {
        cells[y * n + x] = bar;
      }
    }
    double bottom = bottom(s);
    double step = (s.width() - 4 - LEFT) / Math.max(1, n - 1);
    s.cells(
        cells, n, BAR_ROWS, LEFT + 1, top, Math.max(1, s.width() - 4 - LEFT + step), bottom - top);
    line(s, mean, top, max, n, Palette.accent(), 1.6);
  }

  /** The latency line's readout: the token under the mouse, its time and the running mean. */
  private Chart.Reading readLine(double x, double y) {
    int n = vm.tokens().size();
    int i = stepAt(line.canvas().getWidth(), x, n);
    return i < 0 ? null : column(vm.readout(i), line.canvas().getWidth(), i, n);
  }

  /** The parts of the stacked bar as last drawn: {bottom y, top y} per component, for readouts. */
  private final double[][] stackParts = new double[TokenSnapshot.COMPONENTS.size() + 1][];

  private void paintStack(Sketch s) {
    LatencyViewModel.Components c = vm.components();
    java.util.Arrays.fill(stackParts, null);
    if (c == null) {
      return;
    }
    double[] mean = c.meanUs();
    double step = c.stepUs();
    double top = 8;
    double bottom = s.height() - 8;
    double scale = (bottom - top) / Math.max(step, 1e-9);
    double y = bottom;
    // Labels at the middle of their part, pushed apart where parts are thin (13 px a line).
    List<double[]> at = new java.util.ArrayList<>(); // {middle y, k}
    for (int k = 0; k < mean.length; k++) {
      if (mean[k] <= 0) {
        continue;
      }
      double hh = scale * mean[k];
      s.rect(10, y - hh, 40, hh, COLORS[k]);
      stackParts[k] = new double[] {y, y - hh};
      at.add(new double[] {y - hh / 2 + 4, k});
      y -= hh;
    }
    double rest = c.otherUs();
    s.outline(10, top, 40, scale * rest, Palette.grid(), 1);
    stackParts[mean.length] = new double[] {top + scale * rest, top};
    double lineH = 13;
    double[] ys = new double[at.size()];
    double limit = bottom + 4;
    for (int i = 0; i < ys.length; i++) { // from the bottom part up
      ys[i] = Math.min(at.get(i)[0], limit);
      limit = ys[i] - lineH;
    }
    double floor = top + 12 + lineH; // below the "other" line at the top
    for (int i = ys.length - 1; i >= 0; i--) { // and down again where the top ran out
      ys[i] = Math.max(ys[i], floor);
      floor = ys[i] + lineH;
    }
    for (int i = 0; i < ys.length; i++) {
      int k = (int) at.get(i)[1];
      if (Math.abs(ys[i] - at.get(i)[0]) > 2) {
        s.line(51, at.get(i)[0] - 4, 56, ys[i] - 4, Palette.grid(), 1);
      }
      s.text(
          String.format(
              Locale.ROOT,
              "%s %.0f µs (%.0f%%)",
              LatencyViewModel.componentName(k),
              mean[k],
              100 * c.share(k)),
          58,
          ys[i],
          11,
          Palette.ink());
    }
    s.text(
        String.format(Locale.ROOT, "other %.0f µs · step %.0f µs", rest, step),
        58,
        top + 12,
        11,
        Palette.muted());
  }

  /** The stacked bar's readout: the component under the mouse, its mean time and share. */
  private Chart.Reading readStack(double x, double y) {
    for (int k = 0; k < stackParts.length; k++) {
      double[] p = stackParts[k];
      if (p != null && y <= p[0] && y >= p[1] && x <= 60) {
        return new Chart.Reading(vm.componentReadout(k), 10, 50);
      }
    }
    return null;
  }
}
