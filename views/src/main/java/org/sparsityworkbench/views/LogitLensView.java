package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.CheckBox;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.VBox;
import org.sparsityworkbench.viewmodels.LogitLensViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * The logit lens (nostalgebraist, 2020): for each recent token, the next token the model would
 * predict if it stopped after each layer (the residual stream through the final norm and the output
 * head), layers bottom to top, so a learner sees at which layer the prediction forms.
 */
public final class LogitLensView extends BorderPane {
  /** Width of one token's column. */
  static final double COLUMN = 40;

  /** The outline of a cell that already names the model's prediction (orange on the blues). */
  static final int MATCH = 0xffe07b00;

  private final LogitLensViewModel vm;
  private final Chart chart = new Chart("logit-lens", this::paint);

  public LogitLensView(LogitLensViewModel vm) {
    this.vm = vm;
    setId("logit-lens-view");
    CheckBox on = new CheckBox("Compute the lens (applies from the next decode)");
    on.setId("logit-lens-on");
    on.selectedProperty().bindBidirectional(vm.computeProperty());
    VBox top =
        new VBox(
            4,
            on,
            Widgets.caption(
                chart.title(
                    "Top next token after each layer, newest token on the right (hover a cell)")));
    top.setPadding(new Insets(0, 0, 6, 0));
    setTop(top);
    setCenter(chart);
    chart.reader(this::read);
    setBottom(
        Widgets.explanation(
            "Logit lens: after layer l the residual stream x_l goes through the final norm and the"
                + " output head, softmax(head(norm(x_l))), as if the model stopped there. Each cell is"
                + " that distribution's most probable token, shaded by its probability; an orange-"
                + "outlined cell already names the model's own prediction (the top row, the last layer, is"
                + " the model's output). Columns are the tokens as they were read: the lens predicts"
                + " the token after each."));
    vm.tokens().addListener((ListChangeListener<TokenSnapshot>) c -> chart.request());
  }

  /** The tokens shown: as many of the newest as fit the width. */
  private List<TokenSnapshot> shown(double width, double left) {
    List<TokenSnapshot> all = vm.tokens();
    int n = (int) Math.max(1, Math.floor((width - left - 4) / COLUMN));
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  private static final double LEFT = 44;
  private static final double BOTTOM = 18;

  private void paint(Sketch s) {
    List<TokenSnapshot> tokens = shown(s.width(), LEFT);
    if (!tokens.isEmpty()
        && org.sparsityworkbench.viewmodels.PatchViewModel.patchOf(tokens.getLast()) >= 0) {
      Chart.message(
          s, "No logit lens for Megabyte yet: a byte has no layers of its own (see Patches).");
      return;
    }
    if (tokens.isEmpty() || !tokens.getLast().hasLens()) {
      Chart.message(
          s,
          tokens.isEmpty()
              ? "Generate: each token's layer-by-layer prediction draws here."
              : "This decode ran without the lens: tick the box above and generate again.");
      return;
    }
    int layers = tokens.getLast().layers();
    double rowH = Math.max(8, (s.height() - 4 - BOTTOM) / layers);
    int cols = tokens.size();
    int[] argb = new int[layers * cols];
    for (int c = 0; c < cols; c++) {
      TokenSnapshot t = tokens.get(c);
      for (int l = 0; l < layers; l++) {
        double p = t.lensProbability(l);
        argb[(layers - 1 - l) * cols + c] = Double.isNaN(p) ? Palette.empty() : Palette.blue(p);
      }
    }
    s.cells(argb, cols, layers, LEFT, 4, cols * COLUMN, layers * rowH);
    for (int c = 0; c < cols; c++) {
      TokenSnapshot t = tokens.get(c);
      String next = t.nextToken();
      for (int l = 0; l < layers; l++) {
        String word = t.lensToken(l);
        if (word == null) {
          continue;
        }
        double x = LEFT + c * COLUMN;
        double y = 4 + (layers - 1 - l) * rowH;
        if (word.equals(next)) {
          s.outline(x + 1, y + 1, COLUMN - 2, rowH - 2, MATCH, 2);
        }
        if (rowH >= 12) {
          s.text(
              clip(word),
              x + 3,
              y + rowH / 2 + 4,
              10,
              AnalysisView.inkOn(argb[(layers - 1 - l) * cols + c]),
              true);
        }
      }
      s.text(clip(t.label()), LEFT + c * COLUMN + 3, s.height() - 4, 10, Palette.ink(), true);
    }
    int every = rowH >= 10 ? 1 : (int) Math.ceil(10 / rowH);
    for (int l = 0; l < layers; l += every) {
      s.text("L" + l, 4, 4 + (layers - 1 - l) * rowH + rowH / 2 + 4, 10, Palette.ink());
    }
  }

  /** A token label that fits a column. */
  static String clip(String label) {
    String v = label.replace(' ', '\u2423');
    return v.length() <= 5 ? v : v.substring(0, 4) + "…";
  }

  private Chart.Reading read(double x, double y) {
    List<TokenSnapshot> tokens = shown(chart.getWidth(), LEFT);
    if (tokens.isEmpty() || !tokens.getLast().hasLens() || x < LEFT) {
      return null;
    }
    int layers = tokens.getLast().layers();
    double rowH = Math.max(8, (chart.getHeight() - 4 - BOTTOM) / layers);
    int c = (int) Math.floor((x - LEFT) / COLUMN);
    int row = (int) Math.floor((y - 4) / rowH);
    if (c < 0 || c >= tokens.size() || row < 0 || row >= layers) {
      return null;
    }
    TokenSnapshot t = tokens.get(c);
    int l = layers - 1 - row;
    String word = t.lensToken(l);
    if (word == null) {
      return null;
    }
    double x0 = LEFT + c * COLUMN;
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "after '%s' (step %d), layer %d predicts '%s' (p %.2f); the model: '%s'",
            t.label(),
            t.step(),
            l,
            word,
            t.lensProbability(l),
            t.nextToken()),
        x0,
        x0 + COLUMN);
  }
}
