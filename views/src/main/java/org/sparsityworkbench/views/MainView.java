package org.sparsityworkbench.views;

import java.io.File;
import java.nio.file.Path;
import java.util.Locale;
import javafx.animation.AnimationTimer;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Spinner;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.ToolBar;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import org.sparsityworkbench.viewmodels.MainViewModel;

/**
 * The main window's content: a tool bar (model, prompt, sampling, Generate / Stop), the streaming
 * text, the latest token's routing, and a status bar. It binds to the view model and forwards user
 * actions; it holds no state of its own.
 *
 * <p>A frame timer samples the view model while the window is showing and stops when it hides.
 */
public final class MainView extends BorderPane {
  private final MainViewModel vm;
  private final AnimationTimer sampler =
      new AnimationTimer() {
        @Override
        public void handle(long now) {
          vm.refresh();
        }
      };

  private TabPane tabPane;
  private RoutingView routingMap;
  private javafx.scene.control.ToggleButton dark;

  public MainView(MainViewModel vm) {
    this.vm = vm;
    getStyleClass().add("main-view");
    setTop(toolBar());
    tabPane = tabs();
    setCenter(tabPane);
    setBottom(statusBar());
    sceneProperty()
        .flatMap(s -> s.windowProperty())
        .flatMap(w -> w.showingProperty())
        .orElse(false)
        .subscribe(
            showing -> {
              if (showing) {
                sampler.start();
              } else {
                sampler.stop();
              }
            });
    vm.errorProperty().subscribe(this::showError);
    sceneProperty()
        .subscribe(
            scene -> {
              if (scene != null) {
                scene
                    .getAccelerators()
                    .put(
                        new KeyCodeCombination(KeyCode.ENTER, KeyCombination.SHORTCUT_DOWN),
                        vm::generate);
                scene.getAccelerators().put(new KeyCodeCombination(KeyCode.ESCAPE), vm::stop);
                scene
                    .getAccelerators()
                    .put(
                        new KeyCodeCombination(KeyCode.P, KeyCombination.SHORTCUT_DOWN),
                        vm::togglePause);
                scene
                    .getAccelerators()
                    .put(
                        new KeyCodeCombination(KeyCode.RIGHT, KeyCombination.SHORTCUT_DOWN),
                        vm::step);
              }
            });
  }

  private ToolBar toolBar() {
    ComboBox<Path> model = new ComboBox<>(vm.models());
    model.setId("model-picker");
    model.valueProperty().bindBidirectional(vm.selectedModelProperty());
    model.setCellFactory(l -> new PathCell());
    model.setButtonCell(new PathCell());
    model.setPrefWidth(170);
    model.setOnAction(e -> vm.loadSelected());
    model.setTooltip(new Tooltip("The model to decode with"));

    Button open = new Button("Open…");
    open.setId("open-model");
    open.setOnAction(
        e -> {
          DirectoryChooser chooser = new DirectoryChooser();
          chooser.setTitle("Open a model directory (config.json + model.safetensors)");
          File dir = chooser.showDialog(getScene().getWindow());
          if (dir != null) {
            vm.addAndSelect(dir.toPath());
            vm.loadSelected();
          }
        });

    TextField prompt = new TextField();
    prompt.setId("prompt");
    prompt.setPromptText("Prompt");
    prompt.textProperty().bindBidirectional(vm.promptProperty());
    prompt.setOnAction(e -> vm.generate());
    HBox.setHgrow(prompt, Priority.ALWAYS);
    prompt.setPrefColumnCount(14);

    Spinner<Integer> tokens = new Spinner<>(1, 100_000, vm.maxTokensProperty().get(), 50);
    tokens.setId("max-tokens");
    tokens.setEditable(true);
    tokens.setPrefWidth(90);
    tokens.getValueFactory().valueProperty().bindBidirectional(vm.maxTokensProperty().asObject());
    tokens.setTooltip(new Tooltip("Tokens (bytes) to generate"));

    Spinner<Double> temperature = new Spinner<>(0.0, 5.0, vm.temperatureProperty().get(), 0.1);
    temperature.setId("temperature");
    temperature.setEditable(true);
    temperature.setPrefWidth(80);
    temperature
        .getValueFactory()
        .valueProperty()
        .bindBidirectional(vm.temperatureProperty().asObject());
    temperature.setTooltip(new Tooltip("Temperature; 0 is greedy"));

    Spinner<Integer> seed = new Spinner<>(0, Integer.MAX_VALUE, vm.seedProperty().get(), 1);
    seed.setId("seed");
    seed.setEditable(true);
    seed.setPrefWidth(90);
    seed.getValueFactory().valueProperty().bindBidirectional(vm.seedProperty().asObject());
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
    pause.disableProperty().bind(vm.runningProperty().not());
    pause.setOnAction(e -> vm.togglePause());
    pause.setTooltip(new Tooltip("Hold the decode / let it run on (Ctrl+P)"));

    Button step = new Button("Step");
    step.setId("step");
    step.disableProperty().bind(vm.canGenerateBinding().not().and(vm.runningProperty().not()));
    step.setOnAction(e -> vm.step());
    step.setTooltip(new Tooltip("One token at a time (Ctrl+Right)"));

    Button stop = new Button("Stop");
    stop.setId("stop");
    stop.disableProperty().bind(vm.runningProperty().not());
    stop.setOnAction(e -> vm.stop());
    stop.setTooltip(new Tooltip("Stop after the current token (Esc)"));

    MenuItem jsonl = new MenuItem("Telemetry as JSONL…");
    jsonl.setOnAction(e -> export("telemetry.jsonl", "JSON lines", "*.jsonl", vm::exportJsonl));
    MenuItem csv = new MenuItem("Telemetry as CSV…");
    csv.setOnAction(e -> export("telemetry.csv", "CSV", "*.csv", vm::exportCsv));
    MenuItem png = new MenuItem("This tab as PNG…");
    png.setOnAction(e -> export("view.png", "PNG image", "*.png", this::writeTabPng));
    MenuButton exportMenu = new MenuButton("Export", null, jsonl, csv, png);
    exportMenu.setId("export");

    dark = new javafx.scene.control.ToggleButton("Dark");
    dark.setId("dark-theme");
    dark.setTooltip(new Tooltip("Dark or light theme"));
    dark.selectedProperty()
        .subscribe(
            on -> {
              if (getScene() != null) {
                Styles.setDark(getScene(), on);
              }
            });

    return new ToolBar(
        new Label("Model"),
        model,
        open,
        prompt,
        new Label("Tokens"),
        tokens,
        new Label("T"),
        temperature,
        new Label("Seed"),
        seed,
        generate,
        step,
        pause,
        stop,
        exportMenu,
        dark);
  }

  private TabPane tabs() {
    TextArea details = new TextArea();
    details.setId("model-details");
    details.setEditable(false);
    details.getStyleClass().add("generated-text");
    details.textProperty().bind(vm.modelDetailsProperty());
    AttentionView attention = new AttentionView(vm);
    LatencyView latency = new LatencyView(vm);
    CompareView compare = new CompareView(vm);
    TabPane tabs =
        new TabPane(
            new Tab("Decode & routing", textPane()),
            new Tab("Attention", padded(attention)),
            new Tab("Latency", padded(latency)),
            new Tab("Compare", padded(compare)),
            new Tab("Model", padded(details)));
    tabs.setId("tabs");
    tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
    return tabs;
  }

  private static BorderPane padded(javafx.scene.Node n) {
    BorderPane p = new BorderPane(n);
    p.setPadding(new Insets(8));
    return p;
  }

  private VBox textPane() {
    TextArea text = new TextArea();
    text.setId("generated");
    text.setEditable(false);
    text.setWrapText(true);
    text.getStyleClass().add("generated-text");
    // Append only what is new: re-setting a growing text every frame would re-layout all of it.
    vm.generatedTextProperty()
        .addListener(
            (obs, before, now) -> {
              if (!before.isEmpty() && now.startsWith(before)) {
                text.appendText(now.substring(before.length()));
              } else {
                text.setText(vm.promptProperty().get() + now);
                text.positionCaret(text.getLength());
              }
            });
    VBox.setVgrow(text, Priority.ALWAYS);

    Label routing = new Label();
    routing.setId("routing");
    routing.getStyleClass().add("routing");
    routing
        .textProperty()
        .bind(
            Bindings.when(vm.routingProperty().isEmpty())
                .then("Routing of the latest token appears here for mixture-of-experts models.")
                .otherwise(Bindings.concat("Latest token's experts: ", vm.routingProperty())));
    routing.setWrapText(true);

    routingMap = new RoutingView(vm);
    routingMap.setPrefHeight(260);
    Label prefill = new Label();
    prefill.setId("prefill-routing");
    prefill.getStyleClass().add("routing");
    prefill.textProperty().bind(vm.prefillRoutingProperty());
    VBox box = new VBox(8, text, routing, prefill, routingMap);
    box.setPadding(new Insets(8));
    return box;
  }

  private HBox statusBar() {
    Label status = new Label();
    status.setId("status");
    status.textProperty().bind(vm.statusProperty());
    Label model = new Label();
    model.setId("model-info");
    model.textProperty().bind(vm.modelInfoProperty());
    Tooltip architecture = new Tooltip();
    architecture.textProperty().bind(vm.architectureProperty());
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
    Region spacer = new Region();
    HBox.setHgrow(spacer, Priority.ALWAYS);
    status.setMinWidth(Region.USE_PREF_SIZE);
    speed.setMinWidth(Region.USE_PREF_SIZE);
    engine.setMinWidth(Region.USE_PREF_SIZE);
    HBox bar = new HBox(16, status, model, spacer, speed, engine);
    bar.setAlignment(Pos.CENTER_LEFT);
    bar.setPadding(new Insets(4, 8, 4, 8));
    bar.getStyleClass().add("status-bar");
    return bar;
  }

  /** Selects the dark or the light theme, as the Dark button does. */
  public void setDarkTheme(boolean on) {
    dark.setSelected(on);
  }

  /** Writes a file chosen by the user; failures go to the error dialog. */
  private void export(String name, String kind, String pattern, Writer writer) {
    FileChooser chooser = new FileChooser();
    chooser.setInitialFileName(name);
    chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter(kind, pattern));
    File file = chooser.showSaveDialog(getScene().getWindow());
    if (file == null) {
      return;
    }
    try {
      writer.write(file.toPath());
    } catch (java.io.IOException | RuntimeException ex) {
      showError("Cannot write " + file + ": " + ex.getMessage());
    }
  }

  /** Writes the selected tab's content as a PNG image. */
  void writeTabPng(Path file) throws java.io.IOException {
    javafx.scene.Node content = tabPane.getSelectionModel().getSelectedItem().getContent();
    javafx.scene.image.WritableImage image = content.snapshot(null, null);
    javax.imageio.ImageIO.write(
        javafx.embed.swing.SwingFXUtils.fromFXImage(image, null), "png", file.toFile());
  }

  @FunctionalInterface
  private interface Writer {
    void write(Path file) throws java.io.IOException;
  }

  private void showError(String message) {
    if (message == null) {
      return;
    }
    Alert alert = new Alert(Alert.AlertType.ERROR, message);
    alert.setHeaderText("Something went wrong");
    alert.setTitle("Sparsity Workbench");
    if (getScene() != null && getScene().getWindow() != null) {
      alert.initOwner(getScene().getWindow());
    }
    alert.getDialogPane().setId("error-dialog");
    alert.getDialogPane().setMinWidth(520);
    alert.show();
    vm.acknowledgeError();
  }

  /** Shows a model directory by its folder name. */
  private static final class PathCell extends ListCell<Path> {
    @Override
    protected void updateItem(Path item, boolean empty) {
      super.updateItem(item, empty);
      setText(empty || item == null ? null : item.getFileName().toString());
    }
  }
}
