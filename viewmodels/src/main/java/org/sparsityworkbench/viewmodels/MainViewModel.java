package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/**
 * The main window's state and commands: pick and load a model, decode a prompt, watch the text and
 * the latest token's routing stream in.
 *
 * <p>Threading: results arrive from the engine thread into an {@link Inbox}; {@link #refresh()},
 * called by the view at display rate on the UI thread, drains it and updates the properties. The
 * properties are only ever written by the UI thread.
 */
public final class MainViewModel {
  private final WorkbenchEngine service;
  final Inbox.Doorbell doorbell = new Inbox.Doorbell();
  private final Inbox<Event> inbox = new Inbox<>(doorbell);

  private final ObservableList<Path> models = FXCollections.observableArrayList();
  private final ObjectProperty<Path> selectedModel = new SimpleObjectProperty<>();
  final StringProperty prompt = new SimpleStringProperty("The ");
  final IntegerProperty maxTokens = new SimpleIntegerProperty(120);
  final DoubleProperty temperature = new SimpleDoubleProperty(0.8);
  final IntegerProperty seed = new SimpleIntegerProperty(0);

  final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("Starting the engine…");
  private final ReadOnlyStringWrapper engineInfo = new ReadOnlyStringWrapper("engine: starting");
  final ReadOnlyStringWrapper modelInfo = new ReadOnlyStringWrapper("no model loaded");
  private final ReadOnlyStringWrapper routing = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper architecture = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper prefillRouting = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper modelCost = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper modelDetails = new ReadOnlyStringWrapper("");
  final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
  private final ReadOnlyBooleanWrapper loading = new ReadOnlyBooleanWrapper(false);
  private final javafx.beans.property.ReadOnlyDoubleWrapper loadFraction =
      new javafx.beans.property.ReadOnlyDoubleWrapper(-1);
  private volatile LoadTicket loadTicket;
  private final ReadOnlyBooleanWrapper paused = new ReadOnlyBooleanWrapper(false);
  final ReadOnlyObjectWrapper<String> error = new ReadOnlyObjectWrapper<>();
  final ReadOnlyObjectWrapper<ModelHandle> model = new ReadOnlyObjectWrapper<>();
  final ReadOnlyObjectWrapper<Path> loadedDir = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyStringWrapper modelCard = new ReadOnlyStringWrapper("");
  private final IntegerProperty inspectedPrompt = new SimpleIntegerProperty(-1);

  private final BooleanBinding canGenerate;
  private final BooleanBinding canStep;
  final ReadOnlyStringWrapper family = new ReadOnlyStringWrapper("");
  final ReadOnlyBooleanWrapper routes = new ReadOnlyBooleanWrapper(false);
  final ReadOnlyIntegerWrapper layerCount = new ReadOnlyIntegerWrapper(0);
  final IntegerProperty colourLayer = new SimpleIntegerProperty(0);
  private final ObjectProperty<TokenSnapshot> inspected = new SimpleObjectProperty<>();
  private final ReadOnlyStringWrapper tokenDetails = new ReadOnlyStringWrapper("");

  /** The decode shown: its records, tokens and window, fed by a live decode or a session. */
  private final DecodeHistory history = new DecodeHistory();

  /** The routing views keep the most recent tokens only. */
  public static final int HISTORY = DecodeHistory.HISTORY;

  /**
   * The newest tokens that keep their full attention rows (the newest token's row view and the
   * JSONL export use them); the rest of the window keeps only their reduction ({@link
   * AttentionRows}).
   */
  public static final int FULL_ROWS = DecodeHistory.FULL_ROWS;

  private DecodeService.Job job;

  private long detailsShown;

  /** True when the newest token's details lag behind the tokens shown (a throttled update). */
  private boolean detailsStale;

  /** The newest token's details change at most this often while decoding. */
  static final long DETAILS_PERIOD_NANOS = 250_000_000L;

  /** What the engine thread reports. */
  private sealed interface Event {}

  private record Loaded(Path dir, ModelHandle model, String card) implements Event {}

  private record LoadFailed(Path dir, Throwable cause) implements Event {}

  /** Bytes and tensors read so far by the load in progress. */
  private record LoadProgressed(Path dir, long bytes, long total, int tensors, int totalTensors)
      implements Event {}

  /**
   * The engine's view of one load: it reports progress into the inbox at most every 100 ms (the UI
   * applies the latest once per frame) and asks whether the user cancelled.
   */
  private final class LoadTicket implements org.sparsityworkbench.engine.io.LoadProgress {
    private final Path dir;
    private final java.util.concurrent.atomic.AtomicBoolean cancel =
        new java.util.concurrent.atomic.AtomicBoolean();
    private long last;

    LoadTicket(Path dir) {
      this.dir = dir;
    }

    @Override
    public void update(long bytes, long total, int tensors, int totalTensors) {
      long now = System.nanoTime();
      if (now - last >= 100_000_000L || tensors == totalTensors) {
        last = now;
        inbox.offer(new LoadProgressed(dir, bytes, total, tensors, totalTensors));
      }
    }

    @Override
    public boolean cancelled() {
      return cancel.get();
    }
  }

  private record Failed(String what, Throwable cause) implements Event {}

  private record Telemetry(Records.Record record) implements Event {}

  private record EngineReady(String description) implements Event {}

  /**
   * The loaded model's line for {@link #modelInfoProperty()}, shown again when a session closes.
   */
  String loadedInfo = "";

  private final CompareViewModel compare;
  private final AnalysisViewModel analysis;
  private final PatchViewModel patches;
  private final LatencyViewModel latency;
  private final InterventionViewModel intervention;
  private final SessionViewModel session;

  /** The view model of the workbench on DJL's engine thread. */
  public MainViewModel(DecodeService service, List<Path> sampleModels) {
    this(WorkbenchEngine.of(service), sampleModels);
  }

  /** The view model over any engine (a stand-in one in tests that run without PyTorch). */
  public MainViewModel(WorkbenchEngine service, List<Path> sampleModels) {
    this.service = service;
    models.setAll(sampleModels);
    if (!sampleModels.isEmpty()) {
      selectedModel.set(sampleModels.getFirst());
    }
    this.analysis =
        new AnalysisViewModel(
            service.analysis(),
            models,
            AnalysisViewModel.firstRouted(sampleModels, selectedModel.get()),
            AnalysisViewModel.bundledCorpus(sampleModels),
            doorbell);
    this.intervention =
        new InterventionViewModel(
            service,
            doorbell,
            model.getReadOnlyProperty(),
            colourLayer,
            history,
            inspected,
            error::set,
            () -> running.get() ? job : null,
            this::tokenizer);
    this.session = new SessionViewModel(this, doorbell);
    this.compare = new CompareViewModel(service, this, sampleModels);
    this.patches = new PatchViewModel(this);
    this.latency = new LatencyViewModel(history.window(), modelCost.getReadOnlyProperty());
    canGenerate =
        Bindings.createBooleanBinding(
            () ->
                model.get() != null
                    && !running.get()
                    && !loading.get()
                    && !analysis.runningProperty().get()
                    && prompt.get() != null
                    && !prompt.get().isEmpty(),
            model,
            running,
            loading,
            analysis.runningProperty(),
            prompt);
    canStep = canGenerate.or(running);
    // The engine thread does one job at a time: an analysis waits for no decode, and no decode
    // queues behind an analysis.
    analysis.engineBusyProperty().bind(running.or(loading).or(compare.runningProperty()));
    inspected.subscribe(t -> showDetails());
    inspectedPrompt.subscribe(p -> showDetails());
    service
        .describe()
        .whenComplete(
            (d, e) ->
                inbox.offer(e == null ? new EngineReady(d) : new Failed("Engine start failed", e)));
  }

  // --- commands -----------------------------------------------------------------------------

  /** Loads the selected model directory on the engine thread; the current model stays meanwhile. */
  public void loadSelected() {
    Path dir = selectedModel.get();
    if (dir == null || loading.get() || running.get()) {
      return; // the model of a running decode stays until it ends (the picker is disabled)
    }
    if (dir.equals(loadedDir.get()) && model.get() != null) {
      return; // loaded already
    }
    load(dir);
  }

  /**
   * Loads a model directory the user chose (Open…): listed and selected once it has loaded; a
   * directory that fails to load is reported and neither listed nor selected.
   */
  public void open(Path dir) {
    if (dir == null || loading.get() || running.get()) {
      return;
    }
    if (dir.equals(loadedDir.get()) && model.get() != null) {
      selectedModel.set(dir);
      return;
    }
    load(dir);
  }

  /** Stops the load in progress between two tensors; the model loaded before stays. */
  public void cancelLoad() {
    LoadTicket t = loadTicket;
    if (t != null) {
      t.cancel.set(true);
    }
  }

  /** The load's progress, 0..1 of the bytes, or -1 while unknown (or no load runs). */
  public javafx.beans.property.ReadOnlyDoubleProperty loadFractionProperty() {
    return loadFraction.getReadOnlyProperty();
  }

  private void load(Path dir) {
    loading.set(true);
    loadFraction.set(-1);
    status.set("Loading " + dir.getFileName() + "…");
    LoadTicket ticket = new LoadTicket(dir);
    loadTicket = ticket;
    service
        .load(dir, ticket)
        .whenComplete(
            (m, e) ->
                inbox.offer(
                    e == null ? new Loaded(dir, m, readCard(dir)) : new LoadFailed(dir, e)));
  }

  private static boolean isCancellation(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.util.concurrent.CancellationException) {
        return true;
      }
    }
    return false;
  }

  /** The model card, read on the engine thread with the model; empty when there is none. */
  private static String readCard(Path dir) {
    try {
      Path card = dir.resolve(TransformerModel.CARD_FILE);
      return java.nio.file.Files.isRegularFile(card) ? java.nio.file.Files.readString(card) : "";
    } catch (java.io.IOException e) {
      return "(cannot read the model card: " + e.getMessage() + ")";
    }
  }

  /** Adds a model directory chosen by the user and selects it. */
  public void addAndSelect(Path dir) {
    if (!models.contains(dir)) {
      models.add(dir);
    }
    selectedModel.set(dir);
  }

  private final javafx.beans.property.BooleanProperty logitLens =
      new javafx.beans.property.SimpleBooleanProperty(true);

  /** Whether the next decode computes the logit lens (one head product per layer per token). */
  public javafx.beans.property.BooleanProperty logitLensProperty() {
    return logitLens;
  }

  /** Starts decoding the prompt with the current settings. */
  public void generate() {
    start(false);
  }

  /**
   * One token at a time: when idle, starts a decode held after the prefill and takes one step; when
   * running, holds it; when held, takes one more step.
   */
  public void step() {
    if (job != null && running.get()) {
      if (job.isPaused()) {
        job.stepOnce();
      } else {
        job.pause();
        paused.set(true);
      }
      return;
    }
    if (start(true)) {
      job.stepOnce();
    }
  }

  /** Holds a running decode, or lets a held one run on. */
  public void togglePause() {
    if (job == null || !running.get()) {
      return;
    }
    if (job.isPaused()) {
      job.resume();
      paused.set(false);
    } else {
      job.pause();
      paused.set(true);
    }
  }

  /** Starts a decode with the settings in the fields; false when it cannot start. */
  boolean start(boolean held) {
    if (!canGenerate.get()) {
      return false;
    }
    DecodeOptions options;
    try {
      options =
          new DecodeOptions(
                  maxTokens.get(),
                  new SamplingOptions(temperature.get(), 0, 1.0, seed.get()),
                  TelemetryLevel.FULL,
                  true)
              .with(List.copyOf(intervention.interventions()))
              .withLogitLens(logitLens.get());
      // What the records are of: the head of an exported file (see docs/architecture.md).
      Records.Session run =
          options.session(
              loadedDir.get() == null ? "" : loadedDir.get().toString(),
              model.get().family(),
              prompt.get(),
              FULL_ROWS);
      // Start first: a prompt the engine refuses leaves the previous decode (or session) on screen.
      job =
          service.decode(
              model.get(),
              prompt.get(),
              options,
              r ->
                  inbox.offer(
                      new Telemetry(r instanceof Records.Prefill p ? p.withSession(run) : r)),
              held);
      session.closeSession(); // a live decode replaces the session shown
      clearDecode(prompt.get());
    } catch (IllegalArgumentException e) {
      error.set(e.getMessage());
      return false;
    }
    running.set(true);
    paused.set(held);
    status.set(held ? "Stepping…" : "Decoding…");
    DecodeService.Job started = job;
    started
        .done()
        .whenComplete(
            (end, e) -> {
              if (e != null) {
                inbox.offer(new Failed("Decoding failed", e));
              }
            });
    return true;
  }

  /**
   * Forgets the shown decode and starts a new one's prompt. The prompt's texts and labels are in
   * place before the token lists change, so views repainting on that change see a consistent state.
   */
  void clearDecode(String newPrompt) {
    org.sparsityworkbench.engine.tokenizer.Tokenizer tok = tokenizer();
    clearDecode(newPrompt.isEmpty() ? new int[0] : tok.encode(newPrompt), null);
  }

  /** {@link #clearDecode(String)} for a prompt given as ids (texts: null to decode them here). */
  void clearDecode(int[] ids, String[] texts) {
    history.clear(ids, texts, tokenizer());
    intervention.clearEffects(); // of a token of the decode that goes
    prefillRouting.set("");
    routing.set("");
    inspected.set(null);
    inspectedPrompt.set(-1);
    detailsStale = false;
    showDetails();
  }

  /** Asks the running decode to stop after the current token (also when held). */
  public void stop() {
    if (job != null) {
      job.cancel();
    }
  }

  /**
   * Writes the last decode's telemetry records as JSON lines (the CLI's --jsonl format). Token
   * records carry their attention rows for the {@link #FULL_ROWS} newest tokens; the full rows of
   * older ones were not kept and they have no "attention" field.
   */
  public java.util.concurrent.CompletableFuture<Void> exportJsonl(Path file) {
    List<Records.Record> records = history.records();
    return writeOffThread(
        file,
        records.size() + " records",
        () -> {
          List<String> lines = new java.util.ArrayList<>(records.size());
          for (Records.Record r : records) {
            lines.add(org.sparsityworkbench.engine.telemetry.TelemetryJson.toJson(r));
          }
          java.nio.file.Files.write(file, lines, java.nio.charset.StandardCharsets.UTF_8);
        });
  }

  /** File work for {@link #writeOffThread}. */
  @FunctionalInterface
  private interface FileWork {
    void run() throws java.io.IOException;
  }

  private record Exported(Path file, String what, Throwable failure) implements Event {}

  /**
   * Runs file work off the UI thread (what it writes was copied on the UI thread); the status then
   * says what went where, or the error names the file and why not. The future completes when the
   * file is written (exceptionally when it could not be).
   */
  private java.util.concurrent.CompletableFuture<Void> writeOffThread(
      Path file, String what, FileWork work) {
    status.set("Writing " + file.getFileName() + "…");
    return java.util.concurrent.CompletableFuture.runAsync(
            () -> {
              try {
                work.run();
              } catch (java.io.IOException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            })
        .whenComplete((v, e) -> inbox.offer(new Exported(file, what, e)));
  }

  /** The CSV export's columns, in order. */
  static final List<String> CSV_COLUMNS =
      List.of(
          "step",
          "position",
          "token",
          "text",
          "latency_us",
          "layer",
          "experts",
          "gates",
          "attention_us",
          "ffn_us",
          "router_us",
          "controller_us",
          "router_probs",
          "entropy",
          "controller_units",
          "controller_confidence",
          "qkv_modules",
          "model",
          "family",
          "prompt",
          "seed",
          "temperature",
          "top_k",
          "top_p",
          "max_tokens");

  /**
   * Writes one CSV row per decoded token and layer: step, position, token, text, latency; the
   * layer's chosen experts and gates, router probabilities and entropy (MoE), controller units and
   * their confidence (sparse FF), QKV module activity (sparse QKV), component times; and on every
   * row what was decoded: model, family, prompt, seed and sampling options (so files of several
   * runs can be concatenated). Lists are comma-separated inside one quoted field; a field the
   * family does not have is empty. The columns are documented in docs/architecture.md.
   */
  public java.util.concurrent.CompletableFuture<Void> exportCsv(Path file) {
    List<Records.Record> records = List.copyOf(history.rawRecords());
    org.sparsityworkbench.engine.tokenizer.Tokenizer tok = tokenizer();
    return writeOffThread(
        file,
        "the telemetry table",
        () ->
            java.nio.file.Files.write(
                file, csvLines(records, tok), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The CSV export's lines (see {@link #exportCsv}). */
  private static List<String> csvLines(
      List<Records.Record> records, org.sparsityworkbench.engine.tokenizer.Tokenizer tok) {
    List<String> lines = new java.util.ArrayList<>();
    lines.add(String.join(",", CSV_COLUMNS));
    Records.Session run = null;
    for (Records.Record r : records) {
      if (r instanceof Records.Prefill p) {
        run = p.session();
      }
    }
    String runFields =
        run == null
            ? ",,,,,,,"
            : String.join(
                ",",
                csvText(run.model()),
                csvText(run.family()),
                csvText(run.prompt()),
                Long.toString(run.seed()),
                Double.toString(run.temperature()),
                Integer.toString(run.topK()),
                Double.toString(run.topP()),
                Integer.toString(run.maxTokens()));
    for (Records.Record r : records) {
      if (r instanceof Records.Token t) {
        int layers = t.layers() == null ? 0 : t.layers().size();
        for (int l = 0; l < Math.max(1, layers); l++) {
          Records.TokenLayer tl = layers == 0 ? null : t.layers().get(l);
          Records.TokenRouter router = tl == null ? null : tl.router();
          Records.Controller controller = tl == null ? null : tl.controller();
          Records.Qkv qkv = tl == null ? null : tl.qkv();
          Records.Timing timing = tl == null ? null : tl.timingUs();
          List<String> row = new java.util.ArrayList<>(CSV_COLUMNS.size());
          row.add(Integer.toString(t.step()));
          row.add(Integer.toString(t.position()));
          row.add(Integer.toString(t.token()));
          row.add(csvText(tok.label(t.token())));
          row.add(String.format(Locale.ROOT, "%.1f", t.latencyUs()));
          row.add(tl == null ? "" : Integer.toString(l));
          row.add(router == null ? "\"\"" : csvList(router.experts()));
          row.add(router == null ? "\"\"" : csvList(router.weights()));
          row.add(timing == null ? "" : String.format(Locale.ROOT, "%.1f", timing.attention()));
          row.add(timing == null ? "" : String.format(Locale.ROOT, "%.1f", timing.ffn()));
          row.add(
              timing == null || timing.router() == null
                  ? ""
                  : String.format(Locale.ROOT, "%.1f", timing.router()));
          row.add(
              timing == null || timing.controller() == null
                  ? ""
                  : String.format(Locale.ROOT, "%.1f", timing.controller()));
          row.add(router == null || router.probs() == null ? "" : csvList(router.probs()));
          row.add(router == null ? "" : Double.toString(router.entropy()));
          row.add(controller == null ? "" : csvList(controller.chosen()));
          row.add(controller == null ? "" : csvList(controller.confidence()));
          row.add(qkv == null ? "" : csvList(qkv.modules()));
          lines.add(String.join(",", row) + "," + runFields);
        }
      }
    }
    return lines;
  }

  /** A text field of the CSV export: quoted, quotes doubled (RFC 4180). */
  private static String csvText(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  private static String csvList(int[] v) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : ",").append(v[i]);
    }
    return b.append('"').toString();
  }

  private static String csvList(float[] v) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : ",").append(v[i]);
    }
    return b.append('"').toString();
  }

  /**
   * How many attention weights this view model holds (distinct full rows reachable from the token
   * lists, the window and the session's records, plus the floats of the window's {@link
   * AttentionRows}): what grows with the square of the length if kept for every token. For tests
   * and benchmarks.
   */
  public long retainedAttentionFloats() {
    return history.retainedAttentionFloats(inspected.get());
  }

  /** The user has seen the error. */
  public void acknowledgeError() {
    error.set(null);
  }

  /**
   * What wakes the UI's sampler after {@link #sleep()}: run on the thread that has news (the
   * engine's), so it should hand over to the UI thread. Runs at most once per sleep.
   */
  public void setWakeUp(Runnable wake) {
    doorbell.setWake(wake);
  }

  /**
   * The UI thread, when it has had no news for a while and wants to stop sampling (an idle window
   * then costs no frames at all): true if it may stop until the wake-up runs, false if news is
   * waiting and it should {@link #refresh()} on.
   */
  public boolean sleep() {
    return doorbell.sleep(() -> !hasNews());
  }

  /** True if the engine has news that {@link #refresh()} would apply (any thread). */
  public boolean hasNews() {
    return !inbox.isEmpty()
        || !compare.inboxEmpty()
        || !analysis.inboxEmpty()
        || intervention.hasNews()
        || session.hasNews()
        || detailsStale;
  }

  /**
   * Applies everything the engine reported since the last call. Call on the UI thread at display
   * rate (the view's frame timer); cheap when nothing happened.
   */
  public void refresh() {
    session.refresh(); // before this inbox: an opened session feeds its records into it
    compare.refresh();
    analysis.refresh();
    intervention.refresh();
    List<Event> events = inbox.drain();
    if (events.isEmpty()) {
      if (detailsStale && System.nanoTime() - detailsShown >= DETAILS_PERIOD_NANOS) {
        detailsShown = System.nanoTime(); // the last tokens before a pause or a quiet spell
        detailsStale = false;
        showDetails();
      }
      return;
    }
    Records.Token lastToken = null;
    boolean finished = false;
    for (Event ev : events) {
      switch (ev) {
        case Exported x -> {
          if (x.failure() == null) {
            status.set("Exported " + x.what() + " to " + x.file());
          } else {
            error.set("Cannot write " + x.file() + ": " + rootMessage(x.failure()));
            status.set("Cannot write " + x.file().getFileName());
          }
        }
        case EngineReady r -> {
          engineInfo.set(r.description());
          status.set(models.isEmpty() ? "No model yet: Open… a model directory" : "Ready");
          if (model.get() == null) {
            loadSelected();
          }
        }
        case Loaded l -> {
          loadTicket = null;
          loadFraction.set(-1);
          ModelHandle old = model.get();
          session.closeSession();
          clearDecode(""); // what is shown always belongs to the loaded model
          if (!models.contains(l.dir())) {
            models.add(l.dir()); // a directory opened with Open…, listed once it has loaded
          }
          loadedDir.set(l.dir());
          selectedModel.set(l.dir());
          modelCard.set(l.card());
          model.set(l.model());
          // Those in force name the old model's layers and experts.
          intervention.modelChanged(l.model());
          layerCount.set(l.model().spec().layers());
          family.set(l.model().family());
          routes.set(l.model().colours());
          if (colourLayer.get() >= l.model().spec().layers()) {
            colourLayer.set(0);
          }
          loading.set(false);
          ModelSummary s = l.model().summary();
          loadedInfo =
              l.dir().getFileName()
                  + " · "
                  + l.model().family()
                  + " · "
                  + ModelSummary.human(s.totalParams())
                  + " params, "
                  + ModelSummary.human(s.activeParams())
                  + " active per token";
          modelInfo.set(loadedInfo);
          architecture.set(s.architecture());
          modelCost.set(
              String.format(
                  Locale.ROOT,
                  "%s FLOPs/token at position 0, %s at the last · %s of %s parameters active",
                  ModelSummary.human(s.flopsFirst()),
                  ModelSummary.human(s.flopsLast()),
                  ModelSummary.human(s.activeParams()),
                  ModelSummary.human(s.totalParams())));
          modelDetails.set(
              s.architecture()
                  + "\n\nparameters: "
                  + s.totalParams()
                  + " total, "
                  + s.activeParams()
                  + " active per token\nFLOPs per token: "
                  + s.flopsFirst()
                  + " at position 0, "
                  + s.flopsLast()
                  + " at the last position\n\nconfig.json\n"
                  + l.model().configJson()
                  + (l.card().isEmpty() ? "\n\n(no MODEL_CARD.md)" : ""));
          status.set("Loaded " + l.dir().getFileName());
          if (old != null) {
            service.release(old);
          }
        }
        case LoadProgressed p -> {
          if (loading.get() && loadTicket != null && p.dir().equals(loadTicket.dir)) {
            loadFraction.set(p.total() == 0 ? -1 : p.bytes() / (double) p.total());
            status.set(
                String.format(
                    Locale.ROOT,
                    "Loading %s: %,d / %,d MiB, %d / %d tensors",
                    p.dir().getFileName(),
                    p.bytes() >> 20,
                    p.total() >> 20,
                    p.tensors(),
                    p.totalTensors()));
          }
        }
        case LoadFailed f -> {
          loading.set(false);
          loadTicket = null;
          loadFraction.set(-1);
          // The model still loaded stays, and so does its name in the picker.
          selectedModel.set(loadedDir.get());
          if (isCancellation(f.cause())) {
            status.set("Loading " + f.dir().getFileName() + " cancelled");
          } else {
            error.set(rootMessage(f.cause())); // worded as the command line words it
            status.set("Cannot load " + f.dir().getFileName());
          }
        }
        case Failed f -> {
          loading.set(false);
          running.set(false);
          error.set(f.what() + ": " + rootMessage(f.cause()));
          status.set(f.what());
        }
        case Telemetry t -> {
          history.add(t.record());
          switch (t.record()) {
            case Records.Prefill p -> {
              status.set(
                  String.format(
                      Locale.ROOT,
                      "Prefill: %d tokens in %.1f ms",
                      p.tokens(),
                      p.latencyUs() / 1e3));
              prefillRouting.set(describePrefill(p));
            }
            case Records.Token tok -> lastToken = tok;
            case Records.End end -> {
              lastWallTokensPerSecond = end.wallTokensPerS();
              finished = true; // "running" drops after the views' data is in place, below
              status.set(
                  String.format(
                      Locale.ROOT,
                      "Done: %d tokens, %.1f tokens/s (%s)",
                      end.generated(),
                      end.tokensPerS(),
                      end.reason().replace('_', ' ')));
              session.decodeEnded(List.copyOf(history.rawRecords()));
            }
          }
        }
      }
    }
    if (history.commit()) {
      long now = System.nanoTime();
      // The newest token's record is text to read, not to watch flicker: a few times a second.
      // Held (Pause, Step), every token is shown: nothing newer follows soon.
      if (inspected.get() == null
          && (now - detailsShown >= DETAILS_PERIOD_NANOS || finished || paused.get())) {
        detailsShown = now;
        detailsStale = false;
        showDetails();
      } else {
        detailsStale = inspected.get() == null;
      }
    }
    if (lastToken != null) {
      routing.set(describeRouting(lastToken));
    }
    if (finished) {
      running.set(false);
      paused.set(false);
      if (inspected.get() == null) {
        detailsStale = false;
        showDetails();
      }
    }
  }

  /**
   * The prompt's routing at the experts' capacity: "prompt: capacity 3 per expert · 2 of 12
   * assignments dropped (L0 1, L1 1) · aux loss 1.02 · z-loss 4.1"; "" without a router.
   */
  static String describePrefill(Records.Prefill p) {
    if (p.layers() == null || p.layers().isEmpty() || p.layers().getFirst().router() == null) {
      return "";
    }
    int dropped = 0;
    int assignments = 0;
    double aux = 0;
    double z = 0;
    StringBuilder per = new StringBuilder();
    for (Records.PrefillLayer l : p.layers()) {
      Records.PrefillRouter r = l.router();
      dropped += r.dropped();
      assignments += r.experts().length * (r.experts().length == 0 ? 0 : r.experts()[0].length);
      aux += r.auxLoss() / p.layers().size();
      z += r.zLoss() / p.layers().size();
      per.append(per.isEmpty() ? "" : ", ")
          .append('L')
          .append(l.index())
          .append(' ')
          .append(r.dropped());
    }
    int capacity = p.layers().getFirst().router().capacity();
    return String.format(
        Locale.ROOT,
        "Prompt: capacity %s per expert · %d of %d assignments dropped (%s) · mean aux loss %.3f ·"
            + " mean z-loss %.2f",
        capacity < 0 ? "unlimited" : Integer.toString(capacity),
        dropped,
        assignments,
        per,
        aux,
        z);
  }

  /**
   * "L0 → e3 (0.71) · L1 → e5 (0.52) + e1 (0.48)" for MoE; "L0 → units 4 7 7 8 … (32 blocks)" for
   * sparse FF; "" for dense.
   */
  static String describeRouting(Records.Token t) {
    if (t.layers() == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (Records.TokenLayer l : t.layers()) {
      if (l.controller() != null) {
        int[] units = l.controller().chosen();
        b.append(b.isEmpty() ? "" : "  ·  ").append('L').append(l.index()).append(" → units");
        for (int j = 0; j < Math.min(6, units.length); j++) {
          b.append(' ').append(units[j]);
        }
        b.append(units.length > 6 ? " …" : "").append(" (").append(units.length).append(" blocks)");
        continue;
      }
      if (l.router() == null) {
        continue;
      }
      if (!b.isEmpty()) {
        b.append("  ·  ");
      }
      b.append('L').append(l.index()).append(" → ");
      int[] ex = l.router().experts();
      for (int j = 0; j < ex.length; j++) {
        if (j > 0) {
          b.append(" + ");
        }
        b.append('e')
            .append(ex[j])
            .append(String.format(Locale.ROOT, " (%.2f)", l.router().weights()[j]));
      }
    }
    return b.toString();
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null
        && (t instanceof java.util.concurrent.CompletionException || t.getMessage() == null)) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /**
   * Points at a position of the context, as the mouse over the token stream does: a decoded token
   * or a prompt token has its record shown in the details; -1 points at nothing.
   */
  public void inspectPosition(int position) {
    TokenSnapshot t = tokenAt(position);
    inspected.set(t);
    inspectedPrompt.set(t == null && position >= 0 && position < promptLength() ? position : -1);
  }

  /** The prompt position pointed at, -1 for none. */
  public ReadOnlyIntegerProperty inspectedPromptProperty() {
    return ReadOnlyIntegerProperty.readOnlyIntegerProperty(inspectedPrompt);
  }

  /**
   * A prompt token's record: its byte and position, and per layer its routing in the prompt's
   * forward pass (experts and whether capacity kept them, or the controller's units).
   */
  private String promptDetails(int position) {
    StringBuilder b = new StringBuilder("Prompt token · ");
    b.append(
        String.format(Locale.ROOT, "'%s' · position %d", history.promptLabel(position), position));
    Records.Prefill p = history.prefillProperty().get();
    if (p == null) {
      return b.append("\n(the prompt's pass has not reported yet)").toString();
    }
    if (p.layers() == null) {
      return b.append("\ndense: no routing in any layer").toString();
    }
    for (Records.PrefillLayer l : p.layers()) {
      b.append("\nL").append(l.index()).append(':');
      Records.PrefillRouter r = l.router();
      if (r != null && position < r.experts().length) {
        int[] ex = r.experts()[position];
        for (int j = 0; j < ex.length; j++) {
          boolean kept = r.kept() == null || r.kept()[position][j];
          b.append(j == 0 ? " " : " + ").append('e').append(ex[j]);
          if (r.probs() != null) {
            b.append(String.format(Locale.ROOT, " (p %.2f)", r.probs()[position][ex[j]]));
          }
          b.append(kept ? "" : " dropped (over capacity)");
        }
      }
      if (l.controller() != null && position < l.controller().chosen().length) {
        b.append(" units");
        for (int u : l.controller().chosen()[position]) {
          b.append(' ').append(u);
        }
        b.append(String.format(Locale.ROOT, " (of %d per block)", l.controller().blockSize()));
      }
    }
    return b.toString();
  }

  /** The details panel shows the inspected token, or the newest one when none is inspected. */
  private void showDetails() {
    int promptPosition = inspectedPrompt.get();
    if (inspected.get() == null && promptPosition >= 0 && promptPosition < history.promptLength()) {
      tokenDetails.set(promptDetails(promptPosition));
      return;
    }
    TokenSnapshot t =
        inspected.get() != null
            ? inspected.get()
            : history.tokens().isEmpty() ? null : history.tokens().getLast();
    tokenDetails.set(
        t == null
            ? "Hover a token to see its full record: next-token probabilities, route in every"
                + " layer, timing."
            : (inspected.get() == null ? "Newest token · " : "Hovered token · ") + t.details());
  }

  /**
   * The token at a position of the context as shown on its own: a prompt byte or a decoded token;
   * "" beyond the context decoded so far.
   */
  public String labelAt(int position) {
    return history.labelAt(position);
  }

  /** The number of prompt positions of the current decode. */
  public int promptLength() {
    return history.promptLength();
  }

  /**
   * The text a position adds to the context: a prompt character or a decoded token's text; "" for a
   * byte inside a multi-byte character (the character appears on its last byte).
   */
  public String textAt(int position) {
    return history.textAt(position);
  }

  /** The decoded token at a position; null for prompt positions and positions not decoded yet. */
  public TokenSnapshot tokenAt(int position) {
    return history.tokenAt(position);
  }

  /**
   * What colours a position in a layer: the top-1 expert (MoE) or the unit chosen by the
   * controller's first block (sparse FF), for prompt positions from the prefill; -1 when there is
   * no routing.
   */
  public int routeKeyAt(int position, int layer) {
    return history.routeKeyAt(position, layer);
  }

  /**
   * How many distinct route keys there are: the number of experts (MoE), the units per block
   * (sparse FF), 0 without routing.
   */
  public int routeKeyCount() {
    if (session.model() != null) {
      return session.model().routeKeys();
    }
    ModelHandle m = model.get();
    if (m == null) {
      return 0;
    }
    return m.spec().routed() ? m.spec().maxExperts() : m.spec().sparseBlockSize();
  }

  /**
   * True when the loaded model has something to colour tokens by: experts (any routed layer) or
   * sparse FF units; false for dense and sparse-QKV-only models and before one is loaded.
   */
  public ReadOnlyBooleanProperty routesProperty() {
    return routes.getReadOnlyProperty();
  }

  /** The loaded model's tokenizer (bytes before one is loaded). */
  private org.sparsityworkbench.engine.tokenizer.Tokenizer tokenizer() {
    if (session.model() != null) {
      return session.model().labels();
    }
    ModelHandle m = model.get();
    return m == null
        ? org.sparsityworkbench.engine.tokenizer.ByteTokenizer.INSTANCE
        : m.tokenizer();
  }

  /** The loaded model's context length (positions it can attend to), 0 before one is loaded. */
  public int modelContext() {
    if (session.model() != null) {
      return session.model().context();
    }
    ModelHandle m = model.get();
    return m == null ? 0 : m.contextLength();
  }

  /** What the Decode tab's colours mean for the model shown. */
  public javafx.beans.binding.StringExpression streamLegendProperty() {
    return streamLegend;
  }

  private final javafx.beans.binding.StringBinding streamLegend =
      Bindings.createStringBinding(() -> streamLegend(family.get(), routes.get()), family, routes);

  /** What the token colours mean for a family (routes: the model has experts or units). */
  static String streamLegend(String family, boolean routes) {
    return switch (family) {
      case "sparse-ff", "sparse-ffqkv" ->
          "Colour: block 0's chosen unit (one of N); every block in the details.";
      case "megabyte" ->
          "Megabyte: bytes by patch, coloured by the global model's expert, in the Patches tab.";
      case "sparse-qkv" ->
          "Sparse QKV only: the feed-forward is dense, nothing to colour by"
              + " (module activity: Controller masks tab).";
      default ->
          routes
              ? "Colour: the token's top expert in the layer."
              : "Dense model: no routing to colour by.";
    };
  }

  /**
   * Whether a family's tokens have layers of their own that the per-token views (Routing,
   * Controller masks, Attention) draw; Megabyte's layers run per patch (its Patches view).
   */
  public static boolean perTokenLayers(String family) {
    return !hasPatches(family);
  }

  /** Whether a family decodes in patches (Megabyte): the Patches view is its view. */
  public static boolean hasPatches(String family) {
    return "megabyte".equals(family);
  }

  /** Whether the model shown decodes in patches (Megabyte). */
  public boolean showsPatches() {
    return hasPatches(family.get());
  }

  /**
   * What the colour legend calls route key i of the model shown: {@code u3} (a unit of block 0,
   * sparse FF) or {@code e3} (an expert).
   */
  public String routeKeyLabel(int i) {
    return (routesByUnit() ? "u" : "e") + i;
  }

  /** Route key i in words: "unit 3 of block 0" or "expert 3". */
  public String routeKeyDescription(int i) {
    return routesByUnit() ? "unit " + i + " of block 0" : "expert " + i;
  }

  /** True when tokens are coloured by a sparse feed-forward's unit, not by an expert. */
  private boolean routesByUnit() {
    return family.get().startsWith("sparse");
  }

  /**
   * True when Step can act: it starts a held decode when Generate could run, and steps or holds one
   * that runs.
   */
  public BooleanBinding canStepBinding() {
    return canStep;
  }

  /** The loaded model's family ("dense", "switch", ...), "" before one is loaded. */
  public ReadOnlyStringProperty familyProperty() {
    return family.getReadOnlyProperty();
  }

  /** The number of positions decoded so far (prompt and generated tokens). */
  public int contextLength() {
    return history.contextLength();
  }

  /** How many refreshes so far brought new tokens to the views (each one repaints them). */
  /**
   * The last finished decode's tokens per second of wall time (the engine's end record: telemetry
   * and hand-over included, unlike {@link #tokensPerSecondProperty()}, which counts step time).
   */
  public double lastWallTokensPerSecond() {
    return lastWallTokensPerSecond;
  }

  private double lastWallTokensPerSecond;

  public long updateCount() {
    return history.updateCount();
  }

  // --- properties ---------------------------------------------------------------------------

  /**
   * Every token of the current decode, oldest first; updated once per frame. Only the tokens in the
   * window ({@link #routingHistory()}) keep their attention rows.
   */
  public ObservableList<TokenSnapshot> tokens() {
    return history.tokens();
  }

  /** Layers of the loaded model (0 before one is loaded). */
  public ReadOnlyIntegerProperty layerCountProperty() {
    return layerCount.getReadOnlyProperty();
  }

  /** The layer whose routing colours the streamed tokens and the routing views. */
  public IntegerProperty colourLayerProperty() {
    return colourLayer;
  }

  /** The token the user points at (null: none; the details show the newest token). */
  public ObjectProperty<TokenSnapshot> inspectedProperty() {
    return inspected;
  }

  /** The full record of the inspected or newest token, as text. */
  public ReadOnlyStringProperty tokenDetailsProperty() {
    return tokenDetails.getReadOnlyProperty();
  }

  /** True once the prompt's routing (the prefill record) of the current decode has arrived. */
  public ReadOnlyBooleanProperty promptRoutedProperty() {
    return history.promptRoutedProperty();
  }

  /** The last prompt's prefill record (routing, capacity, drops of every prompt token). */
  public ReadOnlyObjectProperty<Records.Prefill> prefillProperty() {
    return history.prefillProperty();
  }

  /** The engine this view model runs on (benchmarks decode on it directly). */
  public WorkbenchEngine engine() {
    return service;
  }

  /** Saved sessions and the timeline. */
  public SessionViewModel session() {
    return session;
  }

  /** Feeds a record into the views as if the engine had sent it (a session's, on the timeline). */
  void feed(Records.Record r) {
    inbox.offer(new Telemetry(r));
  }

  /** Reports a failure of a background task (any thread). */
  void failed(String what, Throwable cause) {
    inbox.offer(new Failed(what, cause));
  }

  /** The program and version that sessions saved here name. */
  public static final String PROGRAM = SessionViewModel.PROGRAM;

  /** Interventions and the effect table (Routing, the right-click menus of every figure). */
  public InterventionViewModel intervention() {
    return intervention;
  }

  /** The Latency view's model. */
  public LatencyViewModel latency() {
    return latency;
  }

  /** The decode shown (live or a session's), as records, tokens and the window. */
  public DecodeHistory history() {
    return history;
  }

  /** The side-by-side comparison of this model with another. */
  public CompareViewModel compare() {
    return compare;
  }

  /** The Analyse view's model. */
  public AnalysisViewModel analysis() {
    return analysis;
  }

  /** The patch view's model (Megabyte). */
  public PatchViewModel patches() {
    return patches;
  }

  public ObservableList<Path> models() {
    return models;
  }

  public ObjectProperty<Path> selectedModelProperty() {
    return selectedModel;
  }

  public StringProperty promptProperty() {
    return prompt;
  }

  public IntegerProperty maxTokensProperty() {
    return maxTokens;
  }

  public DoubleProperty temperatureProperty() {
    return temperature;
  }

  public IntegerProperty seedProperty() {
    return seed;
  }

  public ReadOnlyStringProperty generatedTextProperty() {
    return history.generatedTextProperty();
  }

  public ReadOnlyStringProperty statusProperty() {
    return status.getReadOnlyProperty();
  }

  public ReadOnlyStringProperty engineInfoProperty() {
    return engineInfo.getReadOnlyProperty();
  }

  public ReadOnlyStringProperty modelInfoProperty() {
    return modelInfo.getReadOnlyProperty();
  }

  /** One line describing the loaded model's architecture. */
  public ReadOnlyStringProperty architectureProperty() {
    return architecture.getReadOnlyProperty();
  }

  /**
   * The routing of the most recent decoded tokens (at most {@link #HISTORY}), oldest first; updated
   * once per frame.
   */
  public ObservableList<TokenSnapshot> routingHistory() {
    return history.window();
  }

  /** Capacity, drops and router losses of the last prompt (MoE models), one line. */
  public ReadOnlyStringProperty prefillRoutingProperty() {
    return prefillRouting.getReadOnlyProperty();
  }

  /** FLOPs per token and active parameters of the loaded model, one line. */
  public ReadOnlyStringProperty modelCostProperty() {
    return modelCost.getReadOnlyProperty();
  }

  /** Architecture, parameter counts, FLOPs, config.json and the model card of the loaded model. */
  public ReadOnlyStringProperty modelDetailsProperty() {
    return modelDetails.getReadOnlyProperty();
  }

  public ReadOnlyStringProperty routingProperty() {
    return routing.getReadOnlyProperty();
  }

  public ReadOnlyBooleanProperty runningProperty() {
    return running.getReadOnlyProperty();
  }

  /** True while a decode is held (Pause or Step). */
  public ReadOnlyBooleanProperty pausedProperty() {
    return paused.getReadOnlyProperty();
  }

  public ReadOnlyBooleanProperty loadingProperty() {
    return loading.getReadOnlyProperty();
  }

  public ReadOnlyObjectProperty<String> errorProperty() {
    return error.getReadOnlyProperty();
  }

  public ReadOnlyIntegerProperty tokenCountProperty() {
    return history.tokenCountProperty();
  }

  public ReadOnlyDoubleProperty tokensPerSecondProperty() {
    return history.tokensPerSecondProperty();
  }

  public ReadOnlyObjectProperty<ModelHandle> modelProperty() {
    return model.getReadOnlyProperty();
  }

  /** The directory of the loaded model (null before one has loaded). */
  public ReadOnlyObjectProperty<Path> loadedModelProperty() {
    return loadedDir.getReadOnlyProperty();
  }

  /** The loaded model's MODEL_CARD.md as Markdown, "" when it has none. */
  public ReadOnlyStringProperty modelCardProperty() {
    return modelCard.getReadOnlyProperty();
  }

  /** True when Generate can run: a model is loaded, nothing is running, the prompt is not empty. */
  public BooleanBinding canGenerateBinding() {
    return canGenerate;
  }
}
