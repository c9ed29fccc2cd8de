package org.sparsityworkbench.views;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextArea;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import org.sparsityworkbench.viewmodels.CompareViewModel;
import org.sparsityworkbench.viewmodels.MainViewModel;

/**
 * Model A (the main window's) and model B side by side on the same prompt, settings and seed: both
 * texts, both models' time per step, and the KL divergence of their next-token distributions.
 */
public final class CompareView extends BorderPane {
  static final int COLOUR_A = LatencyView.COLORS[0];
  static final int COLOUR_B = LatencyView.COLORS[1];
  private final CompareViewModel vm;
  private final MainViewModel main;
  private final Chart kl = new Chart("compare-kl", this::paintKl);
  private final Chart latency = new Chart("compare-latency", this::paintLatency);

  /** Keeps the fork spinner's binding alive (asObject() is otherwise only weakly held). */
  private final javafx.beans.property.ObjectProperty<Integer> forkValue;

  /** Asks where to save A's session (B's goes beside it); null when the user cancels. */
  java.util.function.Function<javafx.stage.Window, java.io.File> chooseSessionsFile =
      window ->
          MainView.saveChooser("compare-A.session.gz", "Sessions", "*.session.gz")
              .showSaveDialog(window);

  public CompareView(MainViewModel main) {
    this.main = main;
    this.vm = main.compare();
    setId("compare-view");
    ComboBox<Path> modelB = new ComboBox<>(main.library().models());
    modelB.setId("compare-model");
    modelB.valueProperty().bindBidirectional(vm.modelBProperty());
    modelB.setCellFactory(l -> new Widgets.PathCell());
    modelB.setButtonCell(new Widgets.PathCell());
    Button run = new Button("Compare");
    run.setId("compare");
    run.getStyleClass().add("accent");
    run.disableProperty().bind(vm.canCompareBinding().not());
    run.setOnAction(e -> vm.compare());
    modelB.disableProperty().bind(vm.runningProperty()); // a comparison keeps its models
    Label a = new Label();
    a.setId("compare-model-a");
    a.textProperty()
        .bind(
            main.library()
                .loadedModelProperty()
                .map(p -> "A: " + p.getFileName())
                .orElse("A: (none)"));
    Label summary = new Label();
    summary.setId("compare-summary");
    summary.setWrapText(true);
    summary.textProperty().bind(vm.summaryProperty());
    javafx.scene.control.CheckBox whatIf =
        new javafx.scene.control.CheckBox("What-if: B is A with the interventions (Routing tab)");
    whatIf.setId("compare-what-if");
    whatIf.selectedProperty().bindBidirectional(vm.whatIfProperty());
    javafx.scene.control.Spinner<Integer> fork =
        new javafx.scene.control.Spinner<>(0, 1_000_000, 0);
    fork.setId("compare-fork");
    fork.setEditable(true);
    fork.setPrefWidth(90);
    forkValue = vm.forkAfterProperty().asObject();
    fork.getValueFactory().valueProperty().bindBidirectional(forkValue);
    fork.disableProperty().bind(whatIf.selectedProperty().not().or(vm.runningProperty()));
    whatIf.disableProperty().bind(vm.runningProperty());
    modelB.disableProperty().unbind();
    modelB.disableProperty().bind(vm.runningProperty().or(whatIf.selectedProperty()));
    Button save = new Button("Save both as sessions…");
    save.setId("compare-save-sessions");
    save.setTooltip(
        new javafx.scene.control.Tooltip(
            "A's and B's decodes as two session files (NAME-A.session.gz and NAME-B.session.gz),"
                + " each opened with Session > Open session…"));
    save.disableProperty().bind(vm.sessionsReadyProperty().not());
    save.setOnAction(
        e -> {
          java.io.File file = chooseSessionsFile.apply(getScene().getWindow());
          if (file != null) {
            vm.saveSessions(file.toPath(), CompareViewModel.fileB(file.toPath()));
          }
        });
    HBox top = Widgets.topRow(a, new Label("B:"), modelB, run, save);
    // The what-if's controls stay in the tab: in the "All views" grid the charts need the room.
    TextArea movedTokens = text("compare-moved");
    movedTokens.setPrefRowCount(4);
    movedTokens.textProperty().bind(vm.movedTokensProperty());
    javafx.scene.control.TitledPane moved =
        new javafx.scene.control.TitledPane(
            "What-if: A's tokens that B routes to other experts (step, token, layers)",
            movedTokens);
    moved.setId("compare-moved-pane");
    moved.setExpanded(false);
    moved.setAnimated(false);
    moved.visibleProperty().bind(whatIf.selectedProperty());
    moved.managedProperty().bind(moved.visibleProperty());
    VBox whatIfRow =
        new VBox(4, Widgets.topRow(whatIf, new Label("fork after token"), fork), moved);
    whatIfRow.getStyleClass().add(Widgets.TAB_ONLY);
    VBox head = new VBox(4, top, whatIfRow, summary);
    head.setPadding(new Insets(0, 0, 6, 0));
    setTop(head);

    TextArea textA = text("compare-a");
    textA.textProperty().bind(vm.textAProperty());
    TextArea textB = text("compare-b");
    textB.textProperty().bind(vm.textBProperty());
    GridPane grid = Widgets.grid(2, 0, 55, 0, 35);
    // Named by the result's models (a result that no longer fits its models is cleared).
    grid.add(label("A: its own continuation", COLOUR_A, vm.resultAProperty()), 0, 0);
    grid.add(labelB(), 1, 0);
    grid.add(textA, 0, 1);
    grid.add(textB, 1, 1);
    grid.add(Widgets.caption(latency.title("Time per step (ms): A blue, B orange")), 0, 2);
    grid.add(Widgets.caption(kl.title("KL(p_A || p_B) per step, bits")), 1, 2);
    latency.reader(this::readLatency);
    kl.reader(this::readKl);
    grid.add(latency, 0, 3);
    grid.add(kl, 1, 3);
    setCenter(grid);
    setBottom(
        Widgets.explanation(
            "Same prompt, sampling settings and seed; each model continues its own text. Per step,"
                + " on A's text (B reads A's tokens, teacher-forced): agreement of the most probable"
                + " next token, KL(p_A || p_B) = Σ p_A log2(p_A / p_B) in bits, and the ratio of"
                + " their step times. Both run on the same engine thread, one step of A then one of"
                + " B, so they share the machine equally."));
    ListChangeListener<Double> redraw =
        c -> {
          kl.request();
          latency.request();
        };
    vm.klHistory().addListener(redraw);
    vm.latencyA().addListener(redraw);
    vm.latencyB().addListener(redraw);
  }

  private static Label label(String text, int colour, javafx.beans.value.ObservableValue<Path> p) {
    Label l = new Label();
    l.textProperty()
        .bind(
            p.map(x -> text.charAt(0) + " (" + x.getFileName() + ")" + text.substring(1))
                .orElse(text));
    l.setTextFill(CanvasSketch.color(colour));
    l.setWrapText(true);
    l.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
    return l;
  }

  /** B's name as the result has it: a model, or A with its interventions (a what-if). */
  private Label labelB() {
    Label l = new Label();
    l.setId("compare-label-b");
    l.textProperty()
        .bind(
            vm.nameBProperty()
                .map(
                    n ->
                        n.isEmpty()
                            ? "B: its own continuation"
                            : "B (" + n + "): its own continuation"));
    l.setTextFill(CanvasSketch.color(COLOUR_B));
    l.setWrapText(true);
    l.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
    return l;
  }

  private static TextArea text(String id) {
    TextArea t = new TextArea();
    t.setId(id);
    t.setEditable(false);
    t.setWrapText(true);
    t.getStyleClass().add("generated-text");
    return t;
  }

  private void paintLatency(Sketch s) {
    if (vm.latencyA().isEmpty()) {
      Chart.message(s, "Press Compare: both models' step times draw here.");
      return;
    }
    LatencyView.paintSeries(
        s,
        List.of(vm.latencyA(), vm.latencyB()),
        new int[] {COLOUR_A, COLOUR_B},
        new String[] {
          "A " + name(vm.resultAProperty().get()), "B " + name(vm.resultBProperty().get())
        });
  }

  private static String name(Path p) {
    return p == null ? "" : p.getFileName().toString();
  }

  private void paintKl(Sketch s) {
    List<Double> v = vm.klHistory();
    if (v.size() < 2) {
      return;
    }
    double max = Math.max(1e-9, v.stream().mapToDouble(Double::doubleValue).max().orElse(1));
    double top = 24;
    double bottom = s.height() - 18;
    double left = LatencyView.LEFT;
    Chart.yAxis(s, left, top, bottom, max, "bits");
    Chart.xAxis(s, left, s.width() - 4, bottom, v.size(), "step");
    double[] xs = new double[v.size()];
    double[] ys = new double[v.size()];
    for (int i = 0; i < v.size(); i++) {
      xs[i] = LatencyView.stepX(s.width(), i, v.size());
      ys[i] = bottom - (bottom - top) * v.get(i) / max;
    }
    s.polyline(xs, ys, v.size(), COLOUR_B, 1.5);
    String head = String.format(Locale.ROOT, "max %.2f bits", max);
    s.text(head, s.width() - 4 - Chart.textWidth(head, 10), 11, 10, Palette.ink());
  }

  /** Both step times at the step under the mouse. */
  private Chart.Reading readLatency(double x, double y) {
    List<Double> a = vm.latencyA();
    List<Double> b = vm.latencyB();
    int n = Math.max(a.size(), b.size());
    int i = LatencyView.stepAt(latency.canvas().getWidth(), x, n);
    if (i < 0) {
      return null;
    }
    return LatencyView.column(
        String.format(
            Locale.ROOT,
            "step %d: A %s ms · B %s ms",
            i,
            i < a.size() ? String.format(Locale.ROOT, "%.2f", a.get(i) / 1e3) : "–",
            i < b.size() ? String.format(Locale.ROOT, "%.2f", b.get(i) / 1e3) : "–"),
        latency.canvas().getWidth(),
        i,
        n);
  }

  /** The KL divergence at the step under the mouse. */
  private Chart.Reading readKl(double x, double y) {
    List<Double> v = vm.klHistory();
    if (v.size() < 2) {
      return null;
    }
    int i = LatencyView.stepAt(kl.canvas().getWidth(), x, v.size());
    if (i < 0) {
      return null;
    }
    return LatencyView.column(
        String.format(Locale.ROOT, "step %d: KL(p_A || p_B) = %.3f bits", i, v.get(i)),
        kl.canvas().getWidth(),
        i,
        v.size());
  }
}
