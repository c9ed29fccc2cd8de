package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.paint.Color;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Tokens x experts (mixture of experts) or tokens x blocks (sparse FF) for one layer, the most
 * recent tokens on the right. One pixel per cell in an image, scaled without smoothing: the
 * cheapest way to repaint a map on the software pipeline. Redrawn once per frame, only when tokens
 * arrived.
 */
public final class RoutingView extends BorderPane {
  private final Shown painter = new Shown(this, this::redraw);
  private final MainViewModel vm;
  private final Canvas canvas = new Canvas(600, 160);
  private final ComboBox<Integer> layer = new ComboBox<>();
  private final Label summary = new Label();
  private final Label explanation = new Label();

  public RoutingView(MainViewModel vm) {
    this.vm = vm;
    setId("routing-view");
    layer.setId("routing-layer");
    layer.setPromptText("layer");
    layer.valueProperty().subscribe(v -> painter.request());
    summary.setId("routing-summary");
    explanation.setWrapText(true);
    explanation.getStyleClass().add("explanation");
    HBox top = new HBox(8, new Label("Layer"), layer, summary);
    top.setPadding(new Insets(4, 0, 4, 0));
    setTop(top);
    Pane holder = new Pane(canvas);
    canvas.widthProperty().bind(holder.widthProperty());
    canvas.heightProperty().bind(holder.heightProperty());
    canvas.widthProperty().subscribe(w -> painter.request());
    canvas.heightProperty().subscribe(h -> painter.request());
    holder.setMinHeight(120);
    setCenter(holder);
    setBottom(explanation);
    vm.routingHistory().addListener((ListChangeListener<TokenSnapshot>) c -> painter.request());
  }

  /** Redraws the map from the view model's window of tokens. */
  private void redraw() {
    List<TokenSnapshot> tokens = vm.routingHistory();
    GraphicsContext g = canvas.getGraphicsContext2D();
    g.setFill(Color.web("#f7f8fa"));
    g.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
    if (tokens.isEmpty() || canvas.getWidth() < 2 || canvas.getHeight() < 2) {
      return;
    }
    TokenSnapshot last = tokens.getLast();
    boolean moe = last.probs() != null;
    boolean ff = last.chosen() != null;
    if (!moe && !ff) {
      explanation.setText(
          "Dense model: every token uses every feed-forward unit; nothing to route.");
      summary.setText("");
      return;
    }
    int layers = moe ? last.probs().length : last.chosen().length;
    if (layer.getItems().size() != layers) {
      layer.getItems().setAll(java.util.stream.IntStream.range(0, layers).boxed().toList());
      layer.setValue(0);
      return; // setValue redraws
    }
    int l = layer.getValue() == null ? 0 : layer.getValue();
    int rows = moe ? last.probs()[l].length : last.chosen()[l].length;
    int cols = tokens.size();
    WritableImage image = new WritableImage(cols, rows);
    PixelWriter px = image.getPixelWriter();
    int[] load = new int[rows];
    for (int x = 0; x < cols; x++) {
      TokenSnapshot t = tokens.get(x);
      for (int y = 0; y < rows; y++) {
        Color c;
        if (moe) {
          float p = t.probs()[l][y];
          boolean chosen = contains(t.experts()[l], y);
          c = chosen ? Color.hsb(24, 0.35 + 0.65 * p, 0.95) : Color.hsb(215, p, 1.0 - 0.4 * p);
        } else {
          int unit = t.chosen()[l][y];
          c = Color.hsb(360.0 * unit / 16 % 360, 0.55, 0.9);
        }
        px.setColor(x, y, c);
      }
      if (moe) {
        for (int e : t.experts()[l]) {
          load[e]++;
        }
      }
    }
    g.setImageSmoothing(false);
    double w = Math.min(canvas.getWidth(), cols * 12.0);
    g.drawImage(image, canvas.getWidth() - w, 0, w, canvas.getHeight());
    if (moe) {
      summary.setText(balance(load, cols));
      explanation.setText(
          "Router (Switch Transformer, arXiv 2101.03961): p = softmax(x W_r) over "
              + rows
              + " experts. Blue: probability of each expert for each token (rows = experts, newest"
              + " token on the right); orange: the chosen expert(s), Switch top-1 with gate p,"
              + " top-k with the k gates renormalised (Mixtral).");
    } else {
      summary.setText(unitUsage(tokens, l, rows));
      explanation.setText(
          "Sparse FF controller (Scaling Transformers, arXiv 2111.12763): logits (x A) B + b in"
              + " blocks of N units; each block keeps its argmax unit (colour = which unit), so only"
              + " one row of W1 and W2 per block is read: d_ff / N units per token.");
    }
  }

  /**
   * Controller usage in the window: how many different units each block used, on average, and how
   * often a block repeated its most used unit.
   */
  static String unitUsage(List<TokenSnapshot> tokens, int layer, int blocks) {
    double distinct = 0;
    double dominant = 0;
    for (int b = 0; b < blocks; b++) {
      java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
      for (TokenSnapshot t : tokens) {
        counts.merge(t.chosen()[layer][b], 1, Integer::sum);
      }
      distinct += counts.size();
      dominant += counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }
    return String.format(
        Locale.ROOT,
        "%d tokens · %d blocks · %.1f different units per block on average · the most used unit"
            + " of a block is chosen %.0f%% of the time",
        tokens.size(),
        blocks,
        distinct / blocks,
        100 * dominant / blocks / tokens.size());
  }

  /** Load balance of the window: share of the busiest expert, coefficient of variation, dead. */
  static String balance(int[] load, int tokens) {
    double sum = 0;
    int dead = 0;
    int max = 0;
    for (int v : load) {
      sum += v;
      max = Math.max(max, v);
      if (v == 0) {
        dead++;
      }
    }
    double mean = sum / load.length;
    double var = 0;
    for (int v : load) {
      var += (v - mean) * (v - mean);
    }
    double cv = mean == 0 ? 0 : Math.sqrt(var / load.length) / mean;
    return String.format(
        Locale.ROOT,
        "%d tokens · load CV %.2f · max/mean %.2f · %d unused expert%s in this window",
        tokens,
        cv,
        mean == 0 ? 0 : max / mean,
        dead,
        dead == 1 ? "" : "s");
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }
}
