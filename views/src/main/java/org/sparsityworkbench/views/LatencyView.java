package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.Pane;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Latency per token (line, milliseconds) and, on the right, the mean time per component over the
 * recent tokens as a stacked bar, with tokens/s, FLOPs and active parameters per token.
 */
public final class LatencyView extends BorderPane {
  private final Shown painter = new Shown(this, this::redraw);
  private static final Color[] COLORS = {
    Color.web("#3b6fd8"), Color.web("#d8703b"), Color.web("#4aa36a"), Color.web("#9b59b6")
  };
  private final MainViewModel vm;
  private final Canvas canvas = new Canvas(600, 240);
  private final Label info = new Label();

  public LatencyView(MainViewModel vm) {
    this.vm = vm;
    setId("latency-view");
    info.setId("latency-info");
    info.setPadding(new Insets(4, 0, 4, 0));
    setTop(info);
    Pane p = new Pane(canvas);
    canvas.widthProperty().bind(p.widthProperty());
    canvas.heightProperty().bind(p.heightProperty());
    canvas.widthProperty().subscribe(w -> painter.request());
    canvas.heightProperty().subscribe(h -> painter.request());
    p.setMinHeight(160);
    setCenter(p);
    vm.routingHistory().addListener((ListChangeListener<TokenSnapshot>) c -> painter.request());
  }

  private void redraw() {
    GraphicsContext g = canvas.getGraphicsContext2D();
    double w = canvas.getWidth();
    double h = canvas.getHeight();
    g.setFill(Color.web("#f7f8fa"));
    g.fillRect(0, 0, w, h);
    List<TokenSnapshot> tokens = vm.routingHistory();
    if (tokens.isEmpty() || w < 100 || h < 40) {
      info.setText(vm.modelCostProperty().get());
      return;
    }
    double max = 0;
    double sum = 0;
    for (TokenSnapshot t : tokens) {
      max = Math.max(max, t.latencyUs());
      sum += t.latencyUs();
    }
    double chartW = w - 250;
    double top = 16;
    double bottom = h - 18;
    g.setStroke(Color.web("#c5ccd8"));
    g.strokeLine(40, bottom, 40 + chartW, bottom);
    g.setFont(Font.font(11));
    g.setFill(Color.web("#5a6170"));
    g.fillText(String.format(Locale.ROOT, "%.2f ms", max / 1e3), 2, top + 4);
    g.fillText("0", 28, bottom);
    g.setStroke(COLORS[0]);
    g.setLineWidth(1.5);
    g.beginPath();
    for (int i = 0; i < tokens.size(); i++) {
      double x = 40 + chartW * i / Math.max(1, tokens.size() - 1);
      double y = bottom - (bottom - top) * tokens.get(i).latencyUs() / max;
      if (i == 0) {
        g.moveTo(x, y);
      } else {
        g.lineTo(x, y);
      }
    }
    g.stroke();
    // Stacked mean of the components over the last 64 tokens.
    int recent = Math.min(64, tokens.size());
    double[] mean = new double[TokenSnapshot.COMPONENTS.size()];
    for (int i = tokens.size() - recent; i < tokens.size(); i++) {
      double[] c = tokens.get(i).componentUs();
      for (int k = 0; k < mean.length; k++) {
        mean[k] += c[k] / recent;
      }
    }
    double total = 0;
    for (double v : mean) {
      total += v;
    }
    double barX = w - 190;
    double y = bottom;
    for (int k = 0; k < mean.length; k++) {
      if (mean[k] <= 0) {
        continue;
      }
      double hh = (bottom - top) * mean[k] / Math.max(total, 1e-9);
      g.setFill(COLORS[k]);
      g.fillRect(barX, y - hh, 24, hh);
      g.setFill(Color.web("#444b57"));
      g.fillText(
          String.format(Locale.ROOT, "%s %.0f us", TokenSnapshot.COMPONENTS.get(k), mean[k]),
          barX + 28,
          y - hh / 2 + 4);
      y -= hh;
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
}
