package org.sparsityworkbench.views;

import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;
import javafx.beans.property.ObjectProperty;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
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
import org.sparsityworkbench.viewmodels.AnalysisTables;
import org.sparsityworkbench.viewmodels.AnalysisViewModel;
import org.sparsityworkbench.viewmodels.HeatMap;

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
      folderChooser("Corpus folder (each subfolder a domain)");

  /** Picks a domain folder; replaced in tests. */
  Function<javafx.stage.Window, Path> chooseDomain =
      folderChooser("Domain folder (its text files)");

  /** Picks the folder the tables are written into; replaced in tests. */
  Function<javafx.stage.Window, Path> chooseExportFolder =
      folderChooser("Folder for the analysis tables (CSV and summary.json)");

  private static Function<javafx.stage.Window, Path> folderChooser(String title) {
    return w -> {
      javafx.stage.DirectoryChooser c = new javafx.stage.DirectoryChooser();
      c.setTitle(title);
      java.io.File f = c.showDialog(w);
      return f == null ? null : f.toPath();
    };
  }

  public AnalysisView(AnalysisViewModel vm) {
    this.vm = vm;
    setId("analysis-view");
    ComboBox<Path> model = new ComboBox<>(vm.models());
    model.setId("analysis-model");
    model.valueProperty().bindBidirectional(vm.modelProperty());
    model.setCellFactory(l -> new Widgets.PathCell());
    model.setButtonCell(new Widgets.PathCell());
    CheckBox saturation = new CheckBox("Saturation against");
    saturation.setId("analysis-saturation");
    ComboBox<Path> compare = new ComboBox<>(vm.models());
    compare.setId("analysis-compare");
    compare.setCellFactory(l -> new Widgets.PathCell());
    compare.setButtonCell(new Widgets.PathCell());
    Runnable setCompare =
        () -> vm.compareProperty().set(saturation.isSelected() ? compare.getValue() : null);
    saturation.selectedProperty().subscribe(setCompare);
    compare.valueProperty().subscribe(setCompare);
    Label corpus = new Label();
    corpus.setId("analysis-corpus");
    corpus.textProperty().bind(vm.corpusTextProperty());
    Button pick = new Button("Corpus…");
    pick.setId("analysis-pick-corpus");
    pick.setOnAction(
        e -> {
          Path p = chooseCorpus.apply(getScene() == null ? null : getScene().getWindow());
          if (p != null) {
            vm.useCorpus(p);
          }
        });
    Button addDomain = new Button("Add domain…");
    addDomain.setId("analysis-add-domain");
    addDomain.setTooltip(
        new javafx.scene.control.Tooltip(
            "Pick folders one by one, each a domain named after it (instead of a corpus folder's"
                + " subfolders)"));
    addDomain.setOnAction(
        e -> vm.addDomain(chooseDomain.apply(getScene() == null ? null : getScene().getWindow())));
    javafx.scene.layout.FlowPane domainChips = new javafx.scene.layout.FlowPane(4, 4);
    domainChips.setId("analysis-domains");
    Runnable showDomains =
        () ->
            domainChips
                .getChildren()
                .setAll(
                    vm.domains().stream()
                        .map(
                            d -> {
                              Button chip = new Button(d.getFileName() + "  ✕");
                              chip.getStyleClass().add("intervention-chip");
                              chip.setTooltip(
                                  new javafx.scene.control.Tooltip(d + ": take this domain out"));
                              chip.setOnAction(x -> vm.removeDomain(d));
                              return (javafx.scene.Node) chip;
                            })
                        .toList());
    vm.domains().addListener((javafx.collections.ListChangeListener<Path>) c -> showDomains.run());
    addDomain.disableProperty().bind(vm.runningProperty());
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
    HBox corpusRow = Widgets.topRow(corpus, pick, addDomain, domainChips);
    VBox head = new VBox(6, top, corpusRow, progressRow, heading, layerRow);
    head.setPadding(new Insets(0, 0, 6, 0));
    setTop(head);

    pairing.setId("analysis-pairing");
    pairing.getItems().setAll(AnalysisTables.Pairing.values());
    pairing.valueProperty().bindBidirectional(vm.pairingProperty());
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

    TableView<AnalysisViewModel.TokenRow> tokensTable = new TableView<>(vm.expertTokens());
    tokensTable.setId("analysis-expert-tokens");
    tokensTable.setPlaceholder(new Label("Click an expert in the map: its tokens list here."));
    tokensTable.getColumns().add(Widgets.column("Token", AnalysisViewModel.TokenRow::token));
    tokensTable.getColumns().add(Widgets.column("Count", AnalysisViewModel.TokenRow::count));
    tokensTable
        .getColumns()
        .add(Widgets.column("Of the token's uses", AnalysisViewModel.TokenRow::share));
    tokensTable.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
    ListView<AnalysisViewModel.ExampleRow> examples = new ListView<>(vm.examples());
    examples.setId("analysis-examples");
    examples.setPlaceholder(new Label("Example contexts of the clicked expert's tokens."));
    examples.setCellFactory(l -> new ExampleCell());
    Label expertTitle = new Label();
    expertTitle.setId("analysis-expert-title");
    expertTitle.getStyleClass().add("chart-title");
    expertTitle.textProperty().bind(vm.expertTitleProperty());

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
    vm.useMapProperty().subscribe(m -> use.request());
    vm.useMessageProperty().subscribe(m -> use.request());
    vm.pairMapProperty().subscribe(m -> pairs.request());
    vm.pairMessageProperty().subscribe(m -> pairs.request());
  }

  // -------------------------------------------------------------------------------------------
  // The maps: one layout for painting, reading and clicking
  // -------------------------------------------------------------------------------------------

  /** Where a map's cells lie in a chart of the given size. */
  record Grid(double left, double top, double cellW, double cellH, int rows, int cols) {
    static Grid of(double width, double height, HeatMap m) {
      double left = 0;
      for (String n : m.rows()) {
        left = Math.max(left, Chart.textWidth(n, 11));
      }
      left = Math.min(160, left + 10);
      double top = 4;
      double bottom = 16;
      return new Grid(
          left,
          top,
          Math.max(1, (width - left - 4) / m.columnCount()),
          Math.max(1, (height - top - bottom) / m.rowCount()),
          m.rowCount(),
          m.columnCount());
    }

    /** The cell under a point: {row, col}, or null outside. */
    int[] at(double x, double y) {
      int c = (int) Math.floor((x - left) / cellW);
      int r = (int) Math.floor((y - top) / cellH);
      return x < left || y < top || c >= cols || r >= rows ? null : new int[] {r, c};
    }
  }

  /** Text colour that reads on a cell: white on dark cells, black on light ones. */
  static int inkOn(int argb) {
    double r = ((argb >> 16) & 0xff) / 255.0;
    double g = ((argb >> 8) & 0xff) / 255.0;
    double b = (argb & 0xff) / 255.0;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 ? 0xffffffff : 0xff111111;
  }

  /** A cell's colour on the map's scale. */
  static int colour(HeatMap m, double v, double max) {
    if (!Double.isFinite(v)) {
      return Palette.empty();
    }
    return switch (m.scale()) {
      case RATIO -> {
        // Diverging: blue below an even split, paper at it, orange above (log2 of the ratio, ±2).
        double t = v <= 0 ? -1 : Math.max(-1, Math.min(1, Math.log(v) / Math.log(2) / 2));
        yield t < 0 ? Palette.blue(-t) : Palette.orange(t);
      }
      case SHARE -> Palette.purple(v);
      case RELATIVE -> max > 0 ? Palette.blue(v / max) : Palette.empty();
    };
  }

  /** Paints a map, or the message in its place. */
  static void paint(Sketch s, HeatMap m, String message) {
    if (m == null) {
      Chart.message(s, message);
      return;
    }
    Grid g = Grid.of(s.width(), s.height(), m);
    double max = m.max();
    int[] argb = new int[g.rows() * g.cols()];
    for (int i = 0; i < g.rows(); i++) {
      for (int j = 0; j < g.cols(); j++) {
        argb[i * g.cols() + j] = colour(m, m.values()[i][j], max);
      }
    }
    s.cells(
        argb, g.cols(), g.rows(), g.left(), g.top(), g.cellW() * g.cols(), g.cellH() * g.rows());
    if (g.cellW() >= 34 && g.cellH() >= 16) {
      for (int i = 0; i < g.rows(); i++) {
        for (int j = 0; j < g.cols(); j++) {
          double v = m.values()[i][j];
          if (Double.isFinite(v)) {
            s.text(
                m.scale() == HeatMap.Scale.RATIO
                    ? String.format(Locale.ROOT, "%.2f", v)
                    : String.format(Locale.ROOT, "%.0f%%", 100 * v),
                g.left() + j * g.cellW() + 3,
                g.top() + i * g.cellH() + g.cellH() / 2 + 4,
                10,
                inkOn(argb[i * g.cols() + j]),
                true);
          }
        }
      }
    }
    int every = g.cellH() >= 9 ? 1 : (int) Math.ceil(9 / g.cellH());
    for (int i = 0; i < g.rows(); i += every) {
      s.text(
          m.rows()[i],
          2,
          g.top() + i * g.cellH() + g.cellH() / 2 + 4,
          Math.min(11, Math.max(8, g.cellH())),
          Palette.ink());
    }
    if (m.marked() >= 0 && m.marked() < g.cols()) {
      s.outline(
          g.left() + m.marked() * g.cellW(),
          g.top(),
          g.cellW(),
          g.cellH() * g.rows(),
          Palette.accent(),
          2);
    }
    Chart.columnLabels(s, m.columnPrefix(), g.cols(), g.left(), g.cellW(), 26);
  }

  /** The readout of a map at a point of a chart of the given size. */
  static Chart.Reading read(HeatMap m, double width, double height, double x, double y) {
    if (m == null) {
      return null;
    }
    Grid g = Grid.of(width, height, m);
    int[] c = g.at(x, y);
    if (c == null || m.readings()[c[0]][c[1]] == null) {
      return null;
    }
    double x0 = g.left() + c[1] * g.cellW();
    return new Chart.Reading(m.readings()[c[0]][c[1]], x0, x0 + g.cellW());
  }

  private void paintUse(Sketch s) {
    paint(s, vm.useMapProperty().get(), vm.useMessageProperty().get());
  }

  private void paintPairs(Sketch s) {
    paint(s, vm.pairMapProperty().get(), vm.pairMessageProperty().get());
  }

  private Chart.Reading readUse(double x, double y) {
    return read(vm.useMapProperty().get(), use.getWidth(), use.getHeight(), x, y);
  }

  private Chart.Reading readPairs(double x, double y) {
    return read(vm.pairMapProperty().get(), pairs.getWidth(), pairs.getHeight(), x, y);
  }

  private void clickUse(double x, double y) {
    HeatMap m = vm.useMapProperty().get();
    if (m != null) {
      int[] c = Grid.of(use.getWidth(), use.getHeight(), m).at(x, y);
      if (c != null) {
        vm.click(c[0], c[1]);
      }
    }
  }

  // -------------------------------------------------------------------------------------------

  private final class LayerCell extends ListCell<Integer> {
    @Override
    protected void updateItem(Integer l, boolean empty) {
      super.updateItem(l, empty);
      setText(empty || l == null ? null : vm.layerName(l));
    }
  }

  /** An example: the token marked between its context. */
  private static final class ExampleCell extends ListCell<AnalysisViewModel.ExampleRow> {
    @Override
    protected void updateItem(AnalysisViewModel.ExampleRow x, boolean empty) {
      super.updateItem(x, empty);
      if (empty || x == null) {
        setGraphic(null);
        setText(null);
        return;
      }
      Text where = new Text(x.where() + "   ");
      Text before = new Text(x.before());
      Label token = new Label(x.token());
      token.getStyleClass().add("example-token");
      Text after = new Text(x.after());
      for (Text t : new Text[] {where, before, after}) {
        t.getStyleClass().add("example-text");
      }
      TextFlow flow = new TextFlow(where, before, token, after);
      flow.setId("analysis-example");
      setGraphic(flow);
      setText(null);
    }
  }
}
