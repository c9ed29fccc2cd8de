package org.sparsityworkbench.views;

import java.io.File;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import javafx.animation.AnimationTimer;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Spinner;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TextArea;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.viewmodels.ShownModel;

/**
 * The main window's content: a tool bar (model, prompt, sampling, Generate / Stop), the streaming
 * text, the latest token's routing, and a status bar. It binds to the view model and forwards user
 * actions; it holds no state of its own.
 *
 * <p>A frame timer samples the view model while the window is showing and stops when it hides.
 */
public final class MainView extends BorderPane {
  private final MainViewModel vm;

  /**
   * The views take the engine's news about every 30 ms on average (about 33 repaints per second,
   * mostly every second pulse of JavaFX's 60 Hz). A repaint costs about the same whether it shows
   * 10 or 20 new tokens, so fewer repaints leave more of the machine to the decode thread (on two
   * cores they compete).
   */
  static final long REFRESH_PERIOD_NANOS = 30_000_000L;

  /**
   * After this long without news from the engine the sampler stops, so an idle window asks JavaFX
   * for no frames at all (a running AnimationTimer keeps the 60 Hz pulse going); the next event
   * starts it again.
   */
  static final long SLEEP_AFTER_NANOS = 1_000_000_000L;

  /** The smallest window: every control of the tool bar fits, in two rows, and the views read. */
  static final double MIN_WIDTH = 800;

  static final double MIN_HEIGHT = 600;

  private boolean windowShowing;
  private boolean sampling;

  /** Whether the view is sampling the engine's news now (false once idle: for tests). */
  boolean isSampling() {
    return sampling;
  }

  private final AnimationTimer sampler =
      new AnimationTimer() {
        private long next;
        private long lastNews;

        @Override
        public void start() {
          lastNews = 0;
          sampling = true;
          super.start();
        }

        @Override
        public void stop() {
          sampling = false;
          super.stop();
        }

        @Override
        public void handle(long now) {
          if (lastNews == 0 || vm.hasNews()) {
            lastNews = now;
          } else if (now - lastNews > SLEEP_AFTER_NANOS && vm.sleep()) {
            stop();
            return;
          }
          if (now >= next) {
            // Credit carries over (average rate 1/period) but never more than one period.
            next = Math.max(next + REFRESH_PERIOD_NANOS, now - REFRESH_PERIOD_NANOS);
            vm.refresh();
          }
        }
      };

  private TabPane tabPane;
  private javafx.scene.control.ToggleButton dark;
  private javafx.scene.control.ToggleButton allViews;

  public MainView(MainViewModel vm) {
    this.vm = vm;
    getStyleClass().add("main-view");
    setTop(new javafx.scene.layout.VBox(toolBar(), new TimelineBar(vm)));
    tabPane = tabs();
    setCenter(tabPane);
    grid.setId("all-views-grid");
    grid.setMinSize(GRID_MIN_WIDTH, GRID_MIN_HEIGHT);
    gridScroll.setContent(grid);
    gridScroll.setFitToWidth(true);
    gridScroll.setFitToHeight(true);
    grid.setHgap(6);
    grid.setVgap(6);
    grid.setPadding(new Insets(6));
    for (int c = 0; c < 3; c++) {
      javafx.scene.layout.ColumnConstraints cc = new javafx.scene.layout.ColumnConstraints();
      cc.setPercentWidth(100.0 / 3);
      grid.getColumnConstraints().add(cc);
    }
    for (int r = 0; r < 2; r++) {
      javafx.scene.layout.RowConstraints rc = new javafx.scene.layout.RowConstraints();
      rc.setPercentHeight(50);
      grid.getRowConstraints().add(rc);
    }
    setBottom(statusBar());
    sceneProperty()
        .flatMap(s -> s.windowProperty())
        .flatMap(w -> w.showingProperty())
        .orElse(false)
        .subscribe(
            showing -> {
              windowShowing = showing;
              if (showing) {
                sampler.start();
              } else {
                sampler.stop();
              }
            });
    vm.setWakeUp(
        () ->
            javafx.application.Platform.runLater(
                () -> {
                  if (windowShowing) {
                    sampler.start();
                  }
                }));
    vm.errorProperty().subscribe(this::showError);
    sceneProperty()
        .flatMap(s -> s.windowProperty())
        .subscribe(
            w -> {
              if (w instanceof javafx.stage.Stage stage) {
                // Below this the tool bar would need a third row and the views too little room.
                stage.setMinWidth(MIN_WIDTH);
                stage.setMinHeight(MIN_HEIGHT);
              }
            });
    sceneProperty()
        .subscribe(
            (old, scene) -> {
              if (old != null) {
                old.removeEventFilter(javafx.scene.input.KeyEvent.KEY_PRESSED, shortcuts);
                old.focusOwnerProperty().removeListener(focusGuard);
              }
              if (scene != null) {
                // A filter, not accelerators: the shortcuts work wherever the focus is, also in
                // the prompt (whose own Ctrl+Right and Ctrl+Enter would take them first).
                scene.addEventFilter(javafx.scene.input.KeyEvent.KEY_PRESSED, shortcuts);
                scene.focusOwnerProperty().addListener(focusGuard);
              }
            });
  }

  /** The window's keyboard shortcuts: Ctrl+Enter, Ctrl+Right, Ctrl+P, Esc, Ctrl+G. */
  private final javafx.event.EventHandler<javafx.scene.input.KeyEvent> shortcuts = this::shortcut;

  private void shortcut(javafx.scene.input.KeyEvent e) {
    Runnable action = null;
    if (GENERATE.match(e)) {
      action = vm::generate;
    } else if (STEP.match(e)) {
      action = vm::step;
    } else if (PAUSE.match(e)) {
      action = vm::togglePause;
    } else if (STOP.match(e)) {
      action = vm::stop;
    } else if (ALL_VIEWS.match(e)) {
      action = () -> allViews.setSelected(!allViews.isSelected());
    }
    if (action != null) {
      action.run();
      e.consume();
    }
  }

  private static final KeyCombination GENERATE =
      new KeyCodeCombination(KeyCode.ENTER, KeyCombination.SHORTCUT_DOWN);
  private static final KeyCombination STEP =
      new KeyCodeCombination(KeyCode.RIGHT, KeyCombination.SHORTCUT_DOWN);
  private static final KeyCombination PAUSE =
      new KeyCodeCombination(KeyCode.P, KeyCombination.SHORTCUT_DOWN);
  private static final KeyCombination STOP = new KeyCodeCombination(KeyCode.ESCAPE);
  private static final KeyCombination ALL_VIEWS =
      new KeyCodeCombination(KeyCode.G, KeyCombination.SHORTCUT_DOWN);

  /**
   * Keeps the focus off the prompt when JavaFX moves it there on its own: a focused button that
   * became disabled (Step while a model loads) or a focused view that left the scene (All views)
   * hands the focus to the next control, the prompt, and one stray key would then edit it. The
   * window itself takes the focus instead; the user still clicks or tabs into the prompt.
   */
  private final javafx.beans.value.ChangeListener<javafx.scene.Node> focusGuard =
      (o, old, now) -> {
        // JavaFX first drops the focus (null), then gives it to the next control.
        javafx.scene.Node before = old != null ? old : this.lastFocused;
        if (now == this.prompt
            && before != null
            && (before.isDisabled() || before.getScene() != getScene() || !Shown.shown(before))) {
          javafx.application.Platform.runLater(this::requestFocus);
        }
        if (now != null) {
          this.lastFocused = now;
        }
      };

  /** The last node that had the focus (the focus owner is null in between). */
  private javafx.scene.Node lastFocused;

  /** The prompt: several lines (Enter is a new line, Ctrl+Enter generates). */
  private TextArea prompt;

  /**
   * The spinners' values as objects, kept here: a bidirectional binding holds its two ends only
   * weakly, so a wrapper made by {@code asObject()} and held by nothing else is collected, and the
   * spinner and the view model stop talking.
   */
  private javafx.beans.property.ObjectProperty<Integer> maxTokensValue;

  private javafx.beans.property.ObjectProperty<Double> temperatureValue;
  private javafx.beans.property.ObjectProperty<Integer> seedValue;

  /** Asks for a model directory; null when the user cancels (tests answer in its place). */
  java.util.function.Function<javafx.stage.Window, File> chooseDirectory =
      window -> openChooser().showDialog(window);

  /** Asks for a session file to open; null when the user cancels (tests answer in its place). */
  java.util.function.Function<javafx.stage.Window, File> chooseSessionToOpen =
      window -> {
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Open a saved session");
        chooser
            .getExtensionFilters()
            .addAll(
                new FileChooser.ExtensionFilter("Sessions", "*.session.gz", "*.gz"),
                new FileChooser.ExtensionFilter("All files", "*"));
        chooser.setInitialDirectory(Folders.SHARED.saveStart().toFile());
        return chooser.showOpenDialog(window);
      };

  /** Asks where to save the session; null when the user cancels (tests answer in its place). */
  java.util.function.Function<javafx.stage.Window, File> chooseSessionToSave =
      window -> saveChooser("decode.session.gz", "Sessions", "*.session.gz").showSaveDialog(window);

  private Region toolBar() {
    ComboBox<Path> model = new ComboBox<>(vm.library().models());
    model.setId("model-picker");
    model.valueProperty().bindBidirectional(vm.library().selectedModelProperty());
    model.setCellFactory(l -> new Widgets.PathCell());
    model.setButtonCell(new Widgets.PathCell());
    model.setPrefWidth(170);
    model.setOnAction(e -> vm.library().loadSelected());
    model.disableProperty().bind(vm.runningProperty()); // a decode keeps its model
    model.setTooltip(new Tooltip("The model to decode with"));

    Button open = new Button("Open…");
    open.setId("open-model");
    open.disableProperty().bind(vm.runningProperty());
    open.setOnAction(
        e -> {
          File dir = chooseDirectory.apply(getScene().getWindow());
          if (dir != null) {
            Folders.SHARED.opened(dir.toPath());
            vm.library().open(dir.toPath()); // listed and selected once it has loaded
          }
        });
    MenuItem openSession = new MenuItem("Open session…");
    openSession.setId("open-session");
    openSession.setOnAction(
        e -> {
          File file = chooseSessionToOpen.apply(getScene().getWindow());
          if (file != null) {
            Folders.SHARED.saved(file.toPath());
            vm.session().openSession(file.toPath()); // every view shows it; the model is not needed
          }
        });
    MenuItem saveSession = new MenuItem("Save session…");
    saveSession.setId("save-session");
    saveSession.setOnAction(
        e -> {
          File file = chooseSessionToSave.apply(getScene().getWindow());
          if (file != null) {
            Folders.SHARED.saved(file.toPath());
            vm.session().saveSession(file.toPath());
          }
        });
    MenuButton sessionMenu = new MenuButton("Session", null, openSession, saveSession);
    sessionMenu.setId("session-menu");
    sessionMenu.disableProperty().bind(vm.runningProperty());
    sessionMenu.setTooltip(
        new Tooltip("Save the decode as a file, or open one: no model needed to step through it"));

    prompt = new TextArea();
    prompt.setId("prompt");
    prompt.setPromptText("Prompt (Ctrl+Enter generates)");
    prompt.textProperty().bindBidirectional(vm.promptProperty());
    prompt.setWrapText(true);
    prompt.setPrefRowCount(1); // grows no taller than a field: the tool bar keeps its height
    prompt.setMaxHeight(Region.USE_PREF_SIZE);
    prompt.setTooltip(new Tooltip("The prompt; several lines are fine (Ctrl+Enter generates)"));
    HBox.setHgrow(prompt, Priority.ALWAYS);
    prompt.setPrefColumnCount(14);

    Spinner<Integer> tokens = new Spinner<>(1, 100_000, vm.maxTokensProperty().get(), 50);
    tokens.setId("max-tokens");
    tokens.setEditable(true);
    tokens.setPrefWidth(90);
    maxTokensValue = vm.maxTokensProperty().asObject();
    tokens.getValueFactory().valueProperty().bindBidirectional(maxTokensValue);
    tokens.setTooltip(new Tooltip("Tokens to generate (bytes for the byte-level models)"));

    Spinner<Double> temperature = new Spinner<>(0.0, 5.0, vm.temperatureProperty().get(), 0.1);
    temperature.setId("temperature");
    temperature.setEditable(true);
    temperature.setPrefWidth(80);
    temperatureValue = vm.temperatureProperty().asObject();
    temperature.getValueFactory().valueProperty().bindBidirectional(temperatureValue);
    temperature.setTooltip(new Tooltip("Temperature; 0 is greedy"));

    Spinner<Integer> seed = new Spinner<>(0, Integer.MAX_VALUE, vm.seedProperty().get(), 1);
    seed.setId("seed");
    seed.setEditable(true);
    seed.setPrefWidth(90);
    seedValue = vm.seedProperty().asObject();
    seed.getValueFactory().valueProperty().bindBidirectional(seedValue);
    seed.setTooltip(new Tooltip("Sampler seed: the same seed gives the same text"));

    Button generate = new Button("Generate");
    generate.setId("generate");
    generate.setDefaultButton(false);
    generate.getStyleClass().add("accent");
    generate.disableProperty().bind(vm.canGenerateBinding().not());
    generate.setOnAction(e -> vm.generate());
    generate.setTooltip(new Tooltip("Decode the prompt (Ctrl+Enter)"));

    Button pause = new Button();
    pause.setId("pause");
    pause.textProperty().bind(vm.pausedProperty().map(p -> p ? "Resume" : "Pause"));
    // Both words stacked, one shown: the button keeps the width of the longer one, so nothing
    // after it moves when Pause becomes Resume.
    Label pauseWord = new Label("Pause");
    Label resumeWord = new Label("Resume");
    pauseWord.visibleProperty().bind(vm.pausedProperty().not());
    resumeWord.visibleProperty().bind(vm.pausedProperty());
    pause.setGraphic(new javafx.scene.layout.StackPane(pauseWord, resumeWord));
    pause.setContentDisplay(javafx.scene.control.ContentDisplay.GRAPHIC_ONLY);
    pause.disableProperty().bind(vm.runningProperty().not());
    pause.setOnAction(e -> vm.togglePause());
    pause.setTooltip(new Tooltip("Hold the decode / let it run on (Ctrl+P)"));

    Button step = new Button("Step");
    step.setId("step");
    step.disableProperty().bind(vm.canStepBinding().not());
    step.setOnAction(e -> vm.step());
    step.setTooltip(new Tooltip("One token at a time (Ctrl+Right)"));

    Button stop = new Button("Stop");
    stop.setId("stop");
    stop.disableProperty().bind(vm.runningProperty().not());
    stop.setOnAction(e -> vm.stop());
    stop.setTooltip(new Tooltip("Stop after the current token (Esc)"));

    MenuItem jsonl = new MenuItem("Telemetry as JSONL…");
    jsonl.setOnAction(
        e -> chooseAndSave("telemetry.jsonl", "JSON lines", "*.jsonl", vm::exportJsonl));
    MenuItem csv = new MenuItem("Telemetry as CSV…");
    csv.setOnAction(e -> chooseAndSave("telemetry.csv", "CSV", "*.csv", vm::exportCsv));
    MenuItem png = new MenuItem("This tab as PNG…");
    png.setOnAction(
        e ->
            export(
                "view.png",
                "PNG image",
                "*.png",
                () -> {
                  java.awt.image.BufferedImage image = tabPng();
                  return f -> javax.imageio.ImageIO.write(image, "png", f.toFile());
                }));
    MenuItem svg = new MenuItem("This tab's charts as SVG…");
    svg.setOnAction(
        e ->
            export(
                "view.svg",
                "SVG image",
                "*.svg",
                () -> {
                  String doc = tabSvg();
                  return f ->
                      java.nio.file.Files.writeString(
                          f, doc, java.nio.charset.StandardCharsets.UTF_8);
                }));
    MenuButton exportMenu = new MenuButton("Export", null, jsonl, csv, png, svg);
    exportMenu.setTooltip(new Tooltip("Right-click a chart to save only that chart"));
    exportMenu.setId("export");

    dark = new javafx.scene.control.ToggleButton("Dark");
    dark.setId("dark-theme");
    dark.setTooltip(new Tooltip("Dark or light theme"));
    dark.selectedProperty()
        .subscribe(
            on -> {
              Palette.setDark(on);
              if (getScene() != null) {
                Styles.setDark(getScene(), on);
              }
              for (javafx.scene.Node n : lookupAll(".chart")) {
                ((Chart) n).request();
              }
            });

    allViews = new javafx.scene.control.ToggleButton("All views");
    allViews.setId("all-views");
    allViews.setTooltip(
        new Tooltip("Every view at once in a grid, or one per tab (Ctrl+G); Model stays a tab"));
    allViews.selectedProperty().subscribe(this::showAll);
    vm.shown()
        .familyProperty()
        .subscribe(
            (was, now) -> {
              if (allViews.isSelected() && !java.util.Objects.equals(was, now)) {
                showAll(false); // another family may fill the grid with other views
                showAll(true);
              }
            });

    // Groups that stay together; the bar wraps between them when the window is narrow.
    HBox promptGroup = group(prompt);
    HBox.setHgrow(promptGroup, Priority.ALWAYS);
    HBox.setHgrow(prompt, Priority.ALWAYS);
    promptGroup.setMaxWidth(Double.MAX_VALUE);
    return new ToolRows(
        group(new Label("Model"), model, open, sessionMenu),
        promptGroup,
        group(new Label("Tokens"), tokens, new Label("T"), temperature, new Label("Seed"), seed),
        group(generate, step, pause, stop),
        group(exportMenu, allViews, dark));
  }

  /** Controls of the tool bar that wrap as one. */
  private static HBox group(javafx.scene.Node... nodes) {
    HBox box = new HBox(6, nodes);
    box.setAlignment(Pos.CENTER_LEFT);
    box.setMinWidth(Region.USE_PREF_SIZE);
    return box;
  }

  /**
   * The tabs that "All views" puts in its grid for the model shown, in tab order ({@link #views}).
   */
  private java.util.List<Tab> gridTabs() {
    String family = vm.shown().familyProperty().get();
    return tabPane.getTabs().stream()
        .filter(t -> gridRule.getOrDefault(t, NEVER).test(family))
        .limit(6)
        .toList();
  }

  private final javafx.scene.layout.GridPane grid = new javafx.scene.layout.GridPane();

  /**
   * The grid in a scroll pane: in a window too small for six readable views (below about 1200 x
   * 760) the grid keeps that size and scrolls, instead of crushing every view.
   */
  private final javafx.scene.control.ScrollPane gridScroll = new javafx.scene.control.ScrollPane();

  static final double GRID_MIN_WIDTH = 1200;
  static final double GRID_MIN_HEIGHT = 740;

  /** The explanations that "All views" hides while its grid is shown. */
  private final java.util.List<javafx.scene.Node> hiddenInGrid = new java.util.ArrayList<>();

  /**
   * Moves the views between their tabs and one grid of 3 x 2 cells, each under its tab's name. The
   * same view objects move (nothing is drawn twice); in the grid every one of them is shown, so
   * every one repaints while tokens stream in.
   */
  private void showAll(boolean on) {
    if (on == (getCenter() == gridScroll)) {
      return;
    }
    if (on) {
      grid.getChildren().clear();
      java.util.List<Tab> cells = gridTabs();
      for (int i = 0; i < cells.size(); i++) {
        Tab tab = cells.get(i);
        javafx.scene.Node content = tab.getContent();
        tab.setContent(null);
        Label title = new Label(tab.getText());
        title.getStyleClass().add("chart-title");
        javafx.scene.layout.VBox cell = new javafx.scene.layout.VBox(2, title, content);
        javafx.scene.layout.VBox.setVgrow(content, Priority.ALWAYS);
        cell.setMinSize(0, 0);
        javafx.scene.shape.Rectangle clip = new javafx.scene.shape.Rectangle();
        clip.widthProperty().bind(cell.widthProperty());
        clip.heightProperty().bind(cell.heightProperty());
        cell.setClip(clip); // a view taller than its cell must not draw over its neighbour
        cell.setUserData(tab);
        grid.add(cell, i % 3, i / 3);
        // The teaching paragraphs stay in the tabs: in a cell they took the charts' room.
        for (javafx.scene.Node p : content.lookupAll(".explanation")) {
          if (p instanceof Widgets.Paragraph && p.isVisible()) {
            p.setVisible(false);
            p.setManaged(false);
            hiddenInGrid.add(p);
          }
        }
        for (javafx.scene.Node p : content.lookupAll("." + Widgets.TAB_ONLY)) {
          if (p.isVisible()) {
            p.setVisible(false);
            p.setManaged(false);
            hiddenInGrid.add(p);
          }
        }
      }
      setCenter(gridScroll);
    } else {
      for (javafx.scene.Node n : java.util.List.copyOf(grid.getChildren())) {
        javafx.scene.layout.VBox cell = (javafx.scene.layout.VBox) n;
        javafx.scene.Node content = cell.getChildren().get(1);
        cell.getChildren().clear();
        ((Tab) cell.getUserData()).setContent(content);
      }
      grid.getChildren().clear();
      for (javafx.scene.Node p : hiddenInGrid) {
        p.setVisible(true);
        p.setManaged(true);
      }
      hiddenInGrid.clear();
      setCenter(tabPane);
    }
  }

  /** What the Export menu's "this tab" means: the selected tab's view, or the whole grid. */
  private javafx.scene.Node shownContent() {
    return getCenter() == gridScroll
        ? grid
        : tabPane.getSelectionModel().getSelectedItem().getContent();
  }

  /**
   * One view of the window: its tab's name, how it is built, and for which model families it has a
   * cell in the "All views" grid (given the family's name).
   */
  private record View(
      String name,
      java.util.function.Supplier<javafx.scene.Node> content,
      java.util.function.Predicate<String> inGrid) {}

  private static final java.util.function.Predicate<String> ALWAYS = f -> true;
  private static final java.util.function.Predicate<String> NEVER = f -> false;

  /** Views of a token's own layers: they have nothing to show for Megabyte's bytes. */
  private static final java.util.function.Predicate<String> PER_TOKEN_LAYERS =
      ShownModel::perTokenLayers;

  /**
   * Every view, in tab order: adding a view is one line here. The grid takes the ones that follow a
   * decode live for the model shown (at most six: it is 3 x 2); the logit lens follows the decode
   * too but has no cell, Analyse and Model are views of a corpus and of the model.
   */
  private java.util.List<View> views() {
    return java.util.List.of(
        new View("Decode", this::textPane, ALWAYS),
        new View("Routing", () -> padded(new RoutingView(vm.routing())), PER_TOKEN_LAYERS),
        new View(
            "Controller masks",
            () -> padded(new ControllerView(vm.controller())),
            PER_TOKEN_LAYERS),
        new View("Attention", () -> padded(new AttentionView(vm.attention())), PER_TOKEN_LAYERS),
        new View("Latency", () -> padded(new LatencyView(vm.latency())), ALWAYS),
        new View("Compare", () -> padded(new CompareView(vm)), ALWAYS),
        new View("Logit lens", () -> padded(new LogitLensView(vm.lens())), NEVER),
        new View("Patches", () -> padded(new PatchView(vm.patches())), ShownModel::hasPatches),
        new View("Analyse", () -> padded(new AnalysisView(vm.analysis())), NEVER),
        new View("Model", () -> padded(modelPane()), NEVER));
  }

  /** The grid's rule of each tab, by the tab. */
  private final java.util.Map<Tab, java.util.function.Predicate<String>> gridRule =
      new java.util.HashMap<>();

  private TabPane tabs() {
    TabPane tabs = new TabPane();
    for (View v : views()) {
      Tab tab = new Tab(v.name(), v.content().get());
      gridRule.put(tab, v.inGrid());
      tabs.getTabs().add(tab);
    }
    tabs.setId("tabs");
    tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
    return tabs;
  }

  /** The Model tab: architecture and config.json on the left, the model card rendered beside. */
  private javafx.scene.Node modelPane() {
    TextArea details = new TextArea();
    details.setId("model-details");
    details.setEditable(false);
    details.getStyleClass().add("generated-text");
    details.textProperty().bind(vm.library().modelDetailsProperty());
    MarkdownView card = new MarkdownView();
    card.setId("model-card");
    vm.library().modelCardProperty().subscribe(card::setMarkdown);
    javafx.scene.control.ScrollPane scroll = new javafx.scene.control.ScrollPane(card);
    scroll.setFitToWidth(true);
    scroll.getStyleClass().add("model-card");
    javafx.scene.control.SplitPane split = new javafx.scene.control.SplitPane(details, scroll);
    split.setDividerPositions(0.45);
    return split;
  }

  private static BorderPane padded(javafx.scene.Node n) {
    BorderPane p = new BorderPane(n);
    p.setPadding(new Insets(8));
    return p;
  }

  private BorderPane textPane() {
    TokenStreamView stream = new TokenStreamView(vm.stream());
    Label legend = new Label();
    legend.setId("stream-legend");
    legend.getStyleClass().add("explanation");
    legend.textProperty().bind(vm.shown().streamLegendProperty());
    Chart swatches = new Chart("route-legend", this::paintSwatches);
    swatches.title("Route colours");
    swatches.reader(
        (x, y) -> {
          double at = 2;
          for (int i = 0; i < vm.shown().routeKeyCount(); i++) {
            double w = 23 + 7 * vm.shown().routeKeyLabel(i).length();
            if (x >= at && x < at + w) {
              return new Chart.Reading(vm.shown().routeKeyDescription(i), at, at + 16);
            }
            at += w;
          }
          return null;
        });
    swatches.setPrefSize(640, 22);
    swatches.setMinSize(120, 22);
    vm.shown().familyProperty().subscribe(f -> swatches.request());
    Label colourBy = new Label("Colour by layer");
    colourBy.setMinWidth(Region.USE_PREF_SIZE);
    javafx.scene.control.ComboBox<Integer> picker = Widgets.layerPicker(vm.shown(), "stream-layer");
    picker.setMinWidth(Region.USE_PREF_SIZE);
    // Nothing to colour by without routing (dense, sparse QKV only): the picker says so.
    javafx.beans.value.ObservableValue<Boolean> unrouted = vm.shown().routesProperty().not();
    picker.disableProperty().bind(unrouted);
    colourBy.disableProperty().bind(unrouted);
    HBox top = new HBox(8, colourBy, picker, swatches, legend);
    top.setAlignment(Pos.CENTER_LEFT);
    legend.setWrapText(true); // a narrow cell of "All views": wrapped, never cut short
    legend.setMinWidth(80);
    legend.setMinHeight(Region.USE_PREF_SIZE);
    HBox.setHgrow(legend, Priority.ALWAYS);

    TextArea details = new TextArea();
    details.setId("token-details");
    details.setEditable(false);
    details.setWrapText(true);
    details.getStyleClass().add("details");
    details.textProperty().bind(vm.stream().tokenDetailsProperty());
    details.setPrefWidth(DETAILS_WIDTH);

    Label routing = new Label();
    routing.setId("routing");
    routing.getStyleClass().add("routing");
    routing
        .textProperty()
        .bind(
            Bindings.when(vm.routing().routingProperty().isEmpty())
                .then("The latest token's experts or controller units appear here (dense: none).")
                .otherwise(Bindings.concat("Latest token: ", vm.routing().routingProperty())));
    routing.setWrapText(true);
    routing.setMinHeight(Region.USE_PREF_SIZE);

    BorderPane pane = new BorderPane(stream);
    pane.setTop(top);
    pane.setRight(details);
    pane.setBottom(routing);
    // Narrow (a cell of "All views", a small window): the details go under the text, which keeps
    // the width (beside it, they left the text three characters in a grid cell).
    javafx.scene.layout.VBox under = new javafx.scene.layout.VBox(6);
    pane.widthProperty()
        .subscribe(
            w -> {
              boolean narrow = w.doubleValue() < 2.2 * DETAILS_WIDTH;
              if (narrow == (pane.getRight() == null)) {
                return;
              }
              if (narrow) {
                pane.setRight(null);
                details.setPrefHeight(DETAILS_WIDTH / 3);
                under.getChildren().setAll(routing, details);
                pane.setBottom(under);
              } else {
                under.getChildren().clear();
                details.setPrefHeight(Region.USE_COMPUTED_SIZE);
                pane.setRight(details);
                pane.setBottom(routing);
              }
            });
    BorderPane.setMargin(top, new Insets(0, 0, 6, 0));
    BorderPane.setMargin(details, new Insets(0, 0, 0, 8));
    BorderPane.setMargin(routing, new Insets(6, 0, 0, 0));
    pane.setPadding(new Insets(8));
    return pane;
  }

  /** The width of the token details beside the decoded text. */
  private static final double DETAILS_WIDTH = 380;

  /** Which colour is which expert (e0, e1, ...) or unit of block 0 (u0, u1, ...). */
  private void paintSwatches(Sketch s) {
    int n = vm.shown().routeKeyCount();
    double x = 2;
    for (int i = 0; i < n && x < s.width() - 30; i++) {
      s.rect(x, 3, 16, 16, Palette.soft(Palette.category(i, n)));
      s.text(vm.shown().routeKeyLabel(i), x + 19, 15, 11, Palette.ink());
      x += 23 + 7 * vm.shown().routeKeyLabel(i).length();
    }
  }

  /**
   * The status bar (ControlsFX's): the load's progress and its Cancel, the status, what is shown;
   * on the right the decode's speed and the engine.
   */
  private org.controlsfx.control.StatusBar statusBar() {
    Label status = new Label();
    status.setId("status");
    status.textProperty().bind(vm.statusProperty());
    Label model = new Label();
    model.setId("model-info");
    model.textProperty().bind(vm.shown().infoProperty());
    Tooltip architecture = new Tooltip();
    architecture.textProperty().bind(vm.library().architectureProperty());
    model.setTooltip(architecture);
    Label speed = new Label();
    speed.setId("speed");
    speed
        .textProperty()
        .bind(
            Bindings.createStringBinding(
                () ->
                    String.format(
                        Locale.ROOT,
                        "%d tokens · %.1f tokens/s",
                        vm.tokenCountProperty().get(),
                        vm.tokensPerSecondProperty().get()),
                vm.tokenCountProperty(),
                vm.tokensPerSecondProperty()));
    Label engine = new Label();
    engine.setId("engine-info");
    engine.textProperty().bind(vm.engineInfoProperty());
    status.setMinWidth(Region.USE_PREF_SIZE);
    speed.setMinWidth(Region.USE_PREF_SIZE);
    engine.setMinWidth(Region.USE_PREF_SIZE);
    Button cancelLoad = new Button("Cancel");
    cancelLoad.setId("cancel-load");
    cancelLoad.setOnAction(e -> vm.library().cancelLoad());
    cancelLoad.visibleProperty().bind(vm.library().loadingProperty());
    cancelLoad.managedProperty().bind(vm.library().loadingProperty());
    org.controlsfx.control.StatusBar bar = new org.controlsfx.control.StatusBar();
    bar.setId("status-bar");
    bar.setText(""); // the status is the #status label among the left items
    // The bar shows its progress while it is not 0: the load's fraction, -1 (indeterminate) while
    // its size is unknown, 0 when no load runs.
    bar.progressProperty()
        .bind(
            Bindings.when(vm.library().loadingProperty())
                .then(vm.library().loadFractionProperty())
                .otherwise(0.0));
    bar.getLeftItems().setAll(cancelLoad, status, model); // spaced by workbench.css
    bar.getRightItems().setAll(speed, engine);
    return bar;
  }

  /** Selects the dark or the light theme, as the Dark button does. */
  public void setDarkTheme(boolean on) {
    dark.setSelected(on);
  }

  /** The dialog of Open...: it starts in the bundled models' folder, then in the last one. */
  DirectoryChooser openChooser() {
    DirectoryChooser chooser = new DirectoryChooser();
    chooser.setTitle("Open a model directory (config.json + model.safetensors)");
    chooser.setInitialDirectory(Folders.SHARED.openStart(vm.library().models()).toFile());
    return chooser;
  }

  /** A save dialog for a file of one kind, starting in the folder of the last export. */
  static FileChooser saveChooser(String name, String kind, String pattern) {
    FileChooser chooser = new FileChooser();
    chooser.setInitialFileName(name);
    chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter(kind, pattern));
    chooser.setInitialDirectory(Folders.SHARED.saveStart().toFile());
    return chooser;
  }

  /** Writes a file chosen by the user; failures go to the error dialog. */
  /** The file the user picks for an export, remembered as the last export folder; or null. */
  private Path chooseFile(String name, String kind, String pattern) {
    File file = saveChooser(name, kind, pattern).showSaveDialog(getScene().getWindow());
    if (file == null) {
      return null;
    }
    Folders.SHARED.saved(file.toPath());
    return file.toPath();
  }

  /** Asks where, then lets the view model write (off the UI thread; it reports the outcome). */
  private void chooseAndSave(String name, String kind, String pattern, Consumer<Path> save) {
    Path file = chooseFile(name, kind, pattern);
    if (file != null) {
      save.accept(file);
    }
  }

  /**
   * Asks where, renders what is shown on the UI thread, and writes the file off it; an error names
   * the file.
   */
  private void export(String name, String kind, String pattern, Render render) {
    Path file = chooseFile(name, kind, pattern);
    if (file == null) {
      return;
    }
    Writer writer;
    try {
      writer = render.render();
    } catch (java.io.IOException | RuntimeException ex) {
      showError("Cannot write " + file + ": " + ex.getMessage());
      return;
    }
    java.util.concurrent.CompletableFuture.runAsync(
            () -> {
              try {
                writer.write(file);
              } catch (java.io.IOException ex) {
                throw new java.util.concurrent.CompletionException(ex);
              }
            })
        .whenComplete(
            (v, ex) ->
                javafx.application.Platform.runLater(
                    () -> {
                      if (ex != null) {
                        Throwable cause = ex.getCause() == null ? ex : ex.getCause();
                        showError("Cannot write " + file + ": " + cause.getMessage());
                      }
                    }));
  }

  /** What is shown, rendered on the UI thread, and how to write it (off it). */
  @FunctionalInterface
  private interface Render {
    Writer render() throws java.io.IOException;
  }

  /** Writes the selected tab's content as a PNG image. */
  void writeTabPng(Path file) throws java.io.IOException {
    javax.imageio.ImageIO.write(tabPng(), "png", file.toFile());
  }

  /** The selected tab's content as an image (UI thread). */
  private java.awt.image.BufferedImage tabPng() {
    javafx.scene.image.WritableImage image = shownContent().snapshot(null, null);
    return javafx.embed.swing.SwingFXUtils.fromFXImage(image, null);
  }

  /**
   * Writes the selected tab's charts as one SVG figure, each chart where it sits in the tab (shapes
   * and text as vectors, maps as embedded images).
   */
  void writeTabSvg(Path file) throws java.io.IOException {
    java.nio.file.Files.writeString(file, tabSvg(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** {@link #writeTabSvg}'s document (UI thread). */
  private String tabSvg() throws java.io.IOException {
    javafx.scene.Node content = shownContent();
    StringBuilder body = new StringBuilder();
    double w = 0;
    double h = 0;
    for (javafx.scene.Node n : content.lookupAll(".chart")) {
      if (n instanceof Chart chart && Shown.shown(chart)) {
        javafx.geometry.Bounds b =
            content.sceneToLocal(chart.localToScene(chart.getLayoutBounds()));
        body.append(chart.svgGroup(b.getMinX(), b.getMinY()));
        w = Math.max(w, b.getMaxX());
        h = Math.max(h, b.getMaxY());
      }
    }
    if (body.isEmpty()) {
      throw new java.io.IOException("this tab has no charts; use PNG");
    }
    // The tab's words where they sit: chart titles, the figures above the charts, legends.
    SvgSketch words = new SvgSketch(w, h);
    for (javafx.scene.Node n : content.lookupAll(".label")) {
      if (n instanceof Label l
          && Shown.shown(l)
          && l.getText() != null
          && !l.getText().isBlank()
          && l.lookup(".text") instanceof javafx.scene.text.Text t) {
        int argb =
            t.getFill() instanceof javafx.scene.paint.Color c
                ? (int) Math.round(c.getOpacity() * 255) << 24
                    | (int) Math.round(c.getRed() * 255) << 16
                    | (int) Math.round(c.getGreen() * 255) << 8
                    | (int) Math.round(c.getBlue() * 255)
                : Palette.ink();
        double size = t.getFont().getSize();
        for (javafx.scene.text.TextLineInfo line : t.getLayoutInfo().getTextLines(false)) {
          javafx.geometry.Point2D at =
              content.sceneToLocal(
                  t.localToScene(line.bounds().getMinX(), line.bounds().getMinY()));
          String text = t.getText().substring(line.start(), line.end()).stripTrailing();
          words.text(text, at.getX(), at.getY() + 0.93 * size, size, argb);
          w = Math.max(w, at.getX() + line.bounds().getWidth());
          h = Math.max(h, at.getY() + line.bounds().getHeight());
        }
      }
    }
    body.append(words.body());
    return SvgSketch.document(w, h, body.toString());
  }

  @FunctionalInterface
  private interface Writer {
    void write(Path file) throws java.io.IOException;
  }

  private void showError(String message) {
    if (message == null) {
      return;
    }
    Dialogs.error(this, message);
    vm.acknowledgeError();
  }
}
