package org.sparsityworkbench.views;

import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;
import javafx.beans.property.ObjectProperty;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.TextFormatter;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.LayerKind;
import org.sparsityworkbench.viewmodels.AnalysisTables;
import org.sparsityworkbench.viewmodels.AnalysisViewModel;

/**
 * Expert specialisation over a corpus: pick a model, a corpus folder (its subfolders are the
 * domains) and a budget; the run shows its progress and can be cancelled; then per layer the expert
 * x domain map (share against an even split), co-activation (within a token, or with the next
 * layer), and for the expert clicked in the map its tokens and example contexts. A sparse FF model
 * shows its controller's unit use per block instead.
 */
public final class AnalysisView extends BorderPane {
  private final AnalysisViewModel vm;
  private final Chart use = new Chart("analysis-use", this::paintUse);
  private final Chart pairs = new Chart("analysis-pairs", this::paintPairs);
  private final ChoiceBox<AnalysisTables.Pairing> pairing = new ChoiceBox<>();

  /** Keeps the text field's binding alive (asObject() is otherwise only weakly held). */
  private final ObjectProperty<Integer> tokens;

  /** Picks the corpus folder; replaced in tests. */
  Function<javafx.stage.Window, Path> chooseCorpus =
      w -> {
        javafx.stage.DirectoryChooser c = new javafx.stage.DirectoryChooser();
        c.setTitle("Corpus folder (each subfolder a domain)");
        java.io.File f = c.showDialog(w);
        return f == null ? null : f.toPath();
      };

  /** Picks the folder the tables are written into; replaced in tests. */
  Function<javafx.stage.Window, Path> chooseExportFolder =
      w -> {
        javafx.stage.DirectoryChooser c = new javafx.stage.DirectoryChooser();
        c.setTitle("Folder for the analysis tables (CSV and summary.json)");
        java.io.File f = c.showDialog(w);
        return f == null ? null : f.toPath();
      };

  public AnalysisView(AnalysisViewModel vm) {
    this.vm = vm;
    setId("analysis-view");
    ComboBox<Path> model = new ComboBox<>(vm.models());
    model.setId("analysis-model");
    model.valueProperty().bindBidirectional(vm.modelProperty());
    model.setCellFactory(l -> new NameCell());
    model.setButtonCell(new NameCell());
    CheckBox saturation = new CheckBox("Saturation against");
    saturation.setId("analysis-saturation");
    ComboBox<Path> compare = new ComboBox<>(vm.models());
    compare.setId("analysis-compare");
    compare.setCellFactory(l -> new NameCell());
    compare.setButtonCell(new NameCell());
    Runnable setCompare =
        () -> vm.compareProperty().set(saturation.isSelected() ? compare.getValue() : null);
    saturation.selectedProperty().subscribe(setCompare);
    compare.valueProperty().subscribe(setCompare);
    Label corpus = new Label();
    corpus.setId("analysis-corpus");
    corpus
        .textProperty()
        .bind(vm.corpusProperty().map(p -> "Corpus: " + p.getFileName()).orElse("Corpus: (none)"));
    Button pick = new Button("Corpus…");
    pick.setId("analysis-pick-corpus");
    pick.setOnAction(
        e -> {
          Path p = chooseCorpus.apply(getScene() == null ? null : getScene().getWindow());
          if (p != null) {
            vm.corpusProperty().set(p);
          }
        });
    TextField budget = new TextField();
    budget.setId("analysis-tokens");
    budget.setPrefColumnCount(8);
    TextFormatter<Integer> format =
        new TextFormatter<>(
            new javafx.util.converter.IntegerStringConverter() {
              @Override
              public Integer fromString(String s) {
                try {
                  int v = Integer.parseInt(s.replace(",", "").trim());
                  return v > 0 ? v : vm.tokensProperty().get();
                } catch (NumberFormatException e) {
                  return vm.tokensProperty().get();
                }
              }
            },
            vm.tokensProperty().get());
    budget.setTextFormatter(format);
    tokens = vm.tokensProperty().asObject();
    format.valueProperty().bindBidirectional(tokens);
    Button run = new Button("Analyse");
    run.setId("analysis-run");
    run.getStyleClass().add("accent");
    run.disableProperty().bind(vm.canRunBinding().not());
    run.setOnAction(
        e -> {
          budget.commitValue();
          vm.run();
        });
    Button cancel = new Button("Cancel");
    cancel.setId("analysis-cancel");
    cancel.disableProperty().bind(vm.runningProperty().not());
    cancel.setOnAction(e -> vm.cancel());
    Button export = new Button("Export tables…");
    export.setId("analysis-export");
    export.disableProperty().bind(vm.resultProperty().isNull().or(vm.runningProperty()));
    export.setOnAction(
        e -> {
          Path dir = chooseExportFolder.apply(getScene() == null ? null : getScene().getWindow());
          if (dir != null) {
            vm.export(dir);
          }
        });
    model.disableProperty().bind(vm.runningProperty());
    pick.disableProperty().bind(vm.runningProperty());
    budget.disableProperty().bind(vm.runningProperty());
    saturation.disableProperty().bind(vm.runningProperty());
    compare.disableProperty().bind(saturation.selectedProperty().not().or(vm.runningProperty()));
    HBox top =
        Widgets.topRow(
            new Label("Model:"),
            model,
            saturation,
            compare,
            corpus,
            pick,
            new Label("Tokens:"),
            budget,
            run,
            cancel,
            export);
    ProgressBar bar = new ProgressBar(0);
    bar.setId("analysis-progress");
    bar.setPrefWidth(220);
    bar.progressProperty().bind(vm.progressProperty());
    bar.visibleProperty().bind(vm.runningProperty().or(vm.progressProperty().greaterThan(0)));
    Label progress = new Label();
    progress.setId("analysis-progress-text");
    progress.textProperty().bind(vm.progressTextProperty());
    Label status = new Label();
    status.setId("analysis-status");
    status.setWrapText(true);
    status.textProperty().bind(vm.statusProperty());
    HBox progressRow = new HBox(8, bar, progress, status);
    progressRow.setAlignment(javafx.geometry.Pos.CENTER_LEFT);

    Label heading = new Label();
    heading.setId("analysis-heading");
    heading.getStyleClass().add("chart-title");
    heading.textProperty().bind(vm.headingProperty());
    ComboBox<Integer> layer = new ComboBox<>(vm.layers());
    layer.setId("analysis-layer");
    layer.setCellFactory(l -> new LayerCell());
    layer.setButtonCell(new LayerCell());
    layer
        .valueProperty()
        .subscribe(
            v -> {
              if (v != null && v != vm.layerProperty().get()) {
                vm.layerProperty().set(v);
              }
            });
    vm.layerProperty().subscribe(v -> layer.setValue(v.intValue() < 0 ? null : v.intValue()));
    Label summary = new Label();
    summary.setId("analysis-layer-summary");
    summary.setWrapText(true);
    summary.textProperty().bind(vm.layerSummaryProperty());
    HBox layerRow = new HBox(8, new Label("Layer:"), layer, summary);
    layerRow.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
    VBox head = new VBox(6, top, progressRow, heading, layerRow);
    head.setPadding(new Insets(0, 0, 6, 0));
    setTop(head);

    pairing.setId("analysis-pairing");
    pairing.getItems().setAll(AnalysisTables.Pairing.values());
    pairing.setValue(AnalysisTables.Pairing.NEXT_LAYER);
    pairing.setConverter(
        new javafx.util.StringConverter<>() {
          @Override
          public String toString(AnalysisTables.Pairing p) {
            return p == AnalysisTables.Pairing.WITHIN_TOKEN
                ? "Within a token (top-k)"
                : "With the next layer";
          }

          @Override
          public AnalysisTables.Pairing fromString(String s) {
            return null;
          }
        });
    pairing.valueProperty().subscribe(p -> pairs.request());

    TableView<AnalysisResult.TokenShare> tokensTable = new TableView<>(vm.expertTokens());
    tokensTable.setId("analysis-expert-tokens");
    tokensTable.setPlaceholder(new Label("Click an expert in the map: its tokens list here."));
    tokensTable.getColumns().add(column("Token", t -> shown(t.label())));
    tokensTable
        .getColumns()
        .add(column("Count", t -> String.format(Locale.ROOT, "%,d", t.count())));
    tokensTable
        .getColumns()
        .add(
            column(
                "Of the token's uses",
                t -> String.format(Locale.ROOT, "%.0f%%", 100 * t.exclusivity())));
    tokensTable.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
    ListView<AnalysisResult.Example> examples = new ListView<>(vm.examples());
    examples.setId("analysis-examples");
    examples.setPlaceholder(new Label("Example contexts of the clicked expert's tokens."));
    examples.setCellFactory(l -> new ExampleCell());
    Label expertTitle = new Label();
    expertTitle.setId("analysis-expert-title");
    expertTitle.getStyleClass().add("chart-title");
    expertTitle
        .textProperty()
        .bind(
            vm.expertProperty()
                .map(
                    e ->
                        e.intValue() < 0
                            ? "Expert: (click one in the map)"
                            : "Expert " + e + " of layer " + vm.layerProperty().get()));

    GridPane grid = Widgets.grid(2, 0, 50, 0, 50);
    grid.add(Widgets.caption(use.title("Expert use per domain: share ÷ even share (1/E)")), 0, 0);
    HBox pairsHead = new HBox(6, new Label(pairs.title("Co-activation:")), pairing);
    pairsHead.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
    grid.add(pairsHead, 1, 0);
    grid.add(use, 0, 1);
    grid.add(pairs, 1, 1);
    grid.add(expertTitle, 0, 2);
    HBox lists = new HBox(6, tokensTable, examples);
    HBox.setHgrow(tokensTable, Priority.ALWAYS);
    HBox.setHgrow(examples, Priority.ALWAYS);
    tokensTable.setPrefWidth(300);
    examples.setPrefWidth(600);
    GridPane.setColumnSpan(lists, 2);
    grid.add(lists, 0, 3);
    setCenter(grid);
    setBottom(
        Widgets.explanation(
            "The corpus runs through the model in windows (batched prefill, no sampling); every"
                + " router choice is counted, per layer and domain, before any capacity limit (a"
                + " decode routes one token at a time, where none applies). A cell of the map is the"
                + " domain's share of assignments to the expert divided by 1/E: orange above an even"
                + " split, blue below. Co-activation: of the tokens routed to the row's expert, the"
                + " share that chose the column's expert too (top-k), or in the next layer."));
    use.reader(this::readUse);
    pairs.reader(this::readPairs);
    use.canvas().setOnMouseClicked(e -> clickUse(e.getX(), e.getY()));
    vm.resultProperty().subscribe(r -> repaint());
    vm.layerProperty().subscribe(l -> repaint());
    vm.expertProperty().subscribe(l -> repaint());
    vm.layers().addListener((ListChangeListener<Integer>) c -> repaint());
  }

  private void repaint() {
    use.request();
    pairs.request();
  }

  private static <T> TableColumn<T, String> column(String name, Function<T, String> f) {
    TableColumn<T, String> c = new TableColumn<>(name);
    c.setCellValueFactory(
        d -> new javafx.beans.property.SimpleStringProperty(f.apply(d.getValue())));
    c.setSortable(false);
    return c;
  }

  // -------------------------------------------------------------------------------------------
  // The maps: one layout for painting, reading and clicking
  // -------------------------------------------------------------------------------------------

  /** Where a map's cells lie in a chart of the given size. */
  record Grid(double left, double top, double cellW, double cellH, int rows, int cols) {
    static Grid of(double width, double height, int rows, int cols, double left) {
      double top = 4;
      double bottom = 16;
      return new Grid(
          left,
          top,
          Math.max(1, (width - left - 4) / cols),
          Math.max(1, (height - top - bottom) / rows),
          rows,
          cols);
    }

    /** The cell under a point: {row, col}, or null outside. */
    int[] at(double x, double y) {
      int c = (int) Math.floor((x - left) / cellW);
      int r = (int) Math.floor((y - top) / cellH);
      return x < left || y < top || c >= cols || r >= rows ? null : new int[] {r, c};
    }
  }

  private AnalysisResult result() {
    return vm.resultProperty().get();
  }

  private LayerKind kind() {
    AnalysisResult r = result();
    int l = vm.layerProperty().get();
    return r == null || l < 0 ? null : r.layers().get(l);
  }

  private Grid useGrid(double w, double h) {
    AnalysisResult r = result();
    LayerKind k = kind();
    if (k.routed()) {
      return Grid.of(
          w, h, r.domains().size() + 1, k.experts(), labelWidth(AnalysisTables.useRows(r)));
    }
    return Grid.of(w, h, k.blocks(), k.blockSize(), 48);
  }

  private static double labelWidth(java.util.List<String> names) {
    double w = 0;
    for (String n : names) {
      w = Math.max(w, Chart.textWidth(n, 11));
    }
    return Math.min(160, w + 10);
  }

  /** Text colour that reads on a cell: white on dark cells, black on light ones. */
  static int inkOn(int argb) {
    double r = ((argb >> 16) & 0xff) / 255.0;
    double g = ((argb >> 8) & 0xff) / 255.0;
    double b = (argb & 0xff) / 255.0;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 ? 0xffffffff : 0xff111111;
  }

  /** A token as a table shows it: spaces visible as an open box. */
  static String shown(String label) {
    return label.replace(' ', '\u2423');
  }

  /** Diverging: blue below an even split, paper at it, orange above (log2 of the ratio, ±2). */
  static int ratioColour(double ratio) {
    if (!Double.isFinite(ratio)) {
      return Palette.empty();
    }
    double t = ratio <= 0 ? -1 : Math.max(-1, Math.min(1, Math.log(ratio) / Math.log(2) / 2));
    return t < 0 ? Palette.blue(-t) : Palette.orange(t);
  }

  private void paintUse(Sketch s) {
    AnalysisResult r = result();
    LayerKind k = kind();
    if (r == null || k == null) {
      Chart.message(
          s,
          vm.runningProperty().get()
              ? "Counting…"
              : "Press Analyse: expert use per domain maps here.");
      return;
    }
    Grid g = useGrid(s.width(), s.height());
    double[][] m =
        k.routed()
            ? AnalysisTables.useVsUniform(r, k.layer())
            : AnalysisTables.unitUse(r, k.layer());
    int[] argb = new int[g.rows() * g.cols()];
    double max = 0;
    for (double[] row : m) {
      for (double v : row) {
        if (Double.isFinite(v)) {
          max = Math.max(max, v);
        }
      }
    }
    for (int i = 0; i < g.rows(); i++) {
      for (int j = 0; j < g.cols(); j++) {
        double v = m[i][j];
        argb[i * g.cols() + j] =
            k.routed()
                ? ratioColour(v)
                : (Double.isFinite(v) && max > 0 ? Palette.blue(v / max) : Palette.empty());
      }
    }
    s.cells(
        argb, g.cols(), g.rows(), g.left(), g.top(), g.cellW() * g.cols(), g.cellH() * g.rows());
    java.util.List<String> rows = k.routed() ? AnalysisTables.useRows(r) : null;
    for (int i = 0; i < g.rows(); i++) {
      String name = rows != null ? rows.get(i) : "block " + i;
      if (g.cellH() >= 9 || i % Math.max(1, (int) Math.ceil(9 / g.cellH())) == 0) {
        s.text(
            name,
            2,
            g.top() + i * g.cellH() + g.cellH() / 2 + 4,
            Math.min(11, Math.max(8, g.cellH())),
            Palette.ink());
      }
    }
    if (k.routed() && g.cellW() >= 34 && g.cellH() >= 16) {
      for (int i = 0; i < g.rows(); i++) {
        for (int j = 0; j < g.cols(); j++) {
          if (Double.isFinite(m[i][j])) {
            s.text(
                String.format(Locale.ROOT, "%.2f", m[i][j]),
                g.left() + j * g.cellW() + 3,
                g.top() + i * g.cellH() + g.cellH() / 2 + 4,
                10,
                inkOn(argb[i * g.cols() + j]),
                true);
          }
        }
      }
    }
    int e = vm.expertProperty().get();
    if (k.routed() && e >= 0 && e < g.cols()) {
      s.outline(
          g.left() + e * g.cellW(), g.top(), g.cellW(), g.cellH() * g.rows(), Palette.accent(), 2);
    }
    Chart.columnLabels(s, k.routed() ? "E" : "u", g.cols(), g.left(), g.cellW(), 22);
  }

  private Chart.Reading readUse(double x, double y) {
    AnalysisResult r = result();
    LayerKind k = kind();
    if (r == null || k == null) {
      return null;
    }
    Grid g = useGrid(use.getWidth(), use.getHeight());
    int[] c = g.at(x, y);
    if (c == null) {
      return null;
    }
    double x0 = g.left() + c[1] * g.cellW();
    if (!k.routed()) {
      double v = AnalysisTables.unitUse(r, k.layer())[c[0]][c[1]];
      return new Chart.Reading(
          String.format(
              Locale.ROOT, "block %d, unit %d: chosen for %.1f%% of tokens", c[0], c[1], 100 * v),
          x0,
          x0 + g.cellW());
    }
    java.util.List<String> rows = AnalysisTables.useRows(r);
    boolean all = c[0] == rows.size() - 1;
    long count = all ? r.use(k.layer(), c[1]) : r.use(k.layer(), c[0], c[1]);
    double share = all ? r.share(k.layer(), c[1]) : r.share(k.layer(), c[0], c[1]);
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "%s, expert %d: %,d assignments, %.1f%% (even split %.1f%%, ×%.2f). Click: its tokens",
            rows.get(c[0]),
            c[1],
            count,
            100 * share,
            100.0 / k.experts(),
            share * k.experts()),
        x0,
        x0 + g.cellW());
  }

  private void clickUse(double x, double y) {
    LayerKind k = kind();
    if (k == null || !k.routed()) {
      return;
    }
    int[] c = useGrid(use.getWidth(), use.getHeight()).at(x, y);
    if (c != null) {
      vm.expertProperty().set(c[1]);
    }
  }

  private double[][] pairMatrix() {
    AnalysisResult r = result();
    LayerKind k = kind();
    if (r == null || k == null || !k.routed()) {
      return null;
    }
    return AnalysisTables.coactivation(r, k.layer(), pairing.getValue());
  }

  private void paintPairs(Sketch s) {
    LayerKind k = kind();
    if (k == null) {
      Chart.message(s, "Press Analyse: co-activation maps here.");
      return;
    }
    double[][] m = pairMatrix();
    if (m == null) {
      Chart.message(
          s,
          !k.routed()
              ? "A sparse FF layer has no experts to pair: the left map shows its units."
              : pairing.getValue() == AnalysisTables.Pairing.WITHIN_TOKEN
                  ? "Top-1: a token chooses one expert, there is no pair within it."
                  : "No routed layer follows this one.");
      return;
    }
    Grid g = Grid.of(s.width(), s.height(), m.length, m[0].length, 30);
    int[] argb = new int[g.rows() * g.cols()];
    for (int i = 0; i < g.rows(); i++) {
      for (int j = 0; j < g.cols(); j++) {
        double v = m[i][j];
        argb[i * g.cols() + j] = Double.isFinite(v) ? Palette.purple(v) : Palette.empty();
      }
    }
    s.cells(
        argb, g.cols(), g.rows(), g.left(), g.top(), g.cellW() * g.cols(), g.cellH() * g.rows());
    if (g.cellW() >= 34 && g.cellH() >= 16) {
      for (int i = 0; i < g.rows(); i++) {
        for (int j = 0; j < g.cols(); j++) {
          if (Double.isFinite(m[i][j])) {
            s.text(
                String.format(Locale.ROOT, "%.0f%%", 100 * m[i][j]),
                g.left() + j * g.cellW() + 3,
                g.top() + i * g.cellH() + g.cellH() / 2 + 4,
                10,
                inkOn(argb[i * g.cols() + j]),
                true);
          }
        }
      }
    }
    for (int i = 0; i < g.rows(); i++) {
      if (g.cellH() >= 9 || i % Math.max(1, (int) Math.ceil(9 / g.cellH())) == 0) {
        s.text(
            "E" + i,
            2,
            g.top() + i * g.cellH() + g.cellH() / 2 + 4,
            Math.min(11, Math.max(8, g.cellH())),
            Palette.ink());
      }
    }
    Chart.columnLabels(
        s,
        pairing.getValue() == AnalysisTables.Pairing.NEXT_LAYER ? "→E" : "E",
        g.cols(),
        g.left(),
        g.cellW(),
        26);
  }

  private Chart.Reading readPairs(double x, double y) {
    double[][] m = pairMatrix();
    if (m == null) {
      return null;
    }
    Grid g = Grid.of(pairs.getWidth(), pairs.getHeight(), m.length, m[0].length, 30);
    int[] c = g.at(x, y);
    if (c == null || !Double.isFinite(m[c[0]][c[1]])) {
      return null;
    }
    int l = vm.layerProperty().get();
    String text =
        pairing.getValue() == AnalysisTables.Pairing.NEXT_LAYER
            ? String.format(
                Locale.ROOT,
                "of the tokens at expert %d in layer %d, %.1f%% go to expert %d in layer %d",
                c[0],
                l,
                100 * m[c[0]][c[1]],
                c[1],
                l + 1)
            : String.format(
                Locale.ROOT,
                "of the tokens at expert %d, %.1f%% also chose expert %d",
                c[0],
                100 * m[c[0]][c[1]],
                c[1]);
    double x0 = g.left() + c[1] * g.cellW();
    return new Chart.Reading(text, x0, x0 + g.cellW());
  }

  // -------------------------------------------------------------------------------------------

  private static final class NameCell extends ListCell<Path> {
    @Override
    protected void updateItem(Path p, boolean empty) {
      super.updateItem(p, empty);
      setText(empty || p == null ? null : p.getFileName().toString());
    }
  }

  private final class LayerCell extends ListCell<Integer> {
    @Override
    protected void updateItem(Integer l, boolean empty) {
      super.updateItem(l, empty);
      AnalysisResult r = result();
      if (empty || l == null || r == null) {
        setText(null);
        return;
      }
      LayerKind k = r.layers().get(l);
      setText(
          k.routed()
              ? "layer " + l + " (" + k.experts() + " experts)"
              : "layer " + l + " (sparse FF)");
    }
  }

  /** An example: the token marked between its context. */
  private static final class ExampleCell extends ListCell<AnalysisResult.Example> {
    @Override
    protected void updateItem(AnalysisResult.Example x, boolean empty) {
      super.updateItem(x, empty);
      if (empty || x == null) {
        setGraphic(null);
        setText(null);
        return;
      }
      Text where =
          new Text(
              x.domain()
                  + " · "
                  + x.file()
                  + " · p "
                  + String.format(Locale.ROOT, "%.2f", x.probability())
                  + "   ");
      where.getStyleClass().add("example-where");
      Text before = new Text(oneLine(x.before()));
      Label token = new Label(shown(x.token()));
      token.getStyleClass().add("example-token");
      Text after = new Text(oneLine(x.after()));
      for (Text t : new Text[] {where, before, after}) {
        t.getStyleClass().add("example-text");
      }
      TextFlow flow = new TextFlow(where, before, token, after);
      flow.setId("analysis-example");
      setGraphic(flow);
      setText(null);
    }

    private static String oneLine(String s) {
      return org.sparsityworkbench.engine.tokenizer.Tokenizer.visible(s);
    }
  }
}
