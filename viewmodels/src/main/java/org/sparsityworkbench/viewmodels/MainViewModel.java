package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.decode.SamplingOptions;
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

  final StringProperty prompt = new SimpleStringProperty("The ");
  final IntegerProperty maxTokens = new SimpleIntegerProperty(120);
  final DoubleProperty temperature = new SimpleDoubleProperty(0.8);
  final IntegerProperty seed = new SimpleIntegerProperty(0);

  final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("Starting the engine…");
  private final ReadOnlyStringWrapper engineInfo = new ReadOnlyStringWrapper("engine: starting");
  final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
  private final ReadOnlyBooleanWrapper paused = new ReadOnlyBooleanWrapper(false);
  final ReadOnlyObjectWrapper<String> error = new ReadOnlyObjectWrapper<>();

  private final BooleanBinding canGenerate;
  private final BooleanBinding canStep;

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

  /** What the engine thread reports. */
  private sealed interface Event {}

  private record Failed(String what, Throwable cause) implements Event {}

  private record Telemetry(Records.Record record) implements Event {}

  private record EngineReady(String description) implements Event {}

  private final ShownModel shown = new ShownModel();
  private final ModelLibraryViewModel library;
  private final TokenStreamViewModel stream;
  private final RoutingViewModel routing;
  private final ControllerViewModel controller;
  private final AttentionViewModel attention;
  private final LogitLensViewModel lens;
  private final CompareViewModel compare;
  private final AnalysisViewModel analysis;
  private final PatchViewModel patches;
  private final LatencyViewModel latency;
  private final InterventionViewModel intervention;
  private final SessionViewModel session;

  private final javafx.beans.property.BooleanProperty logitLens =
      new javafx.beans.property.SimpleBooleanProperty(true);

  /** The view model of the workbench on DJL's engine thread. */
  public MainViewModel(DecodeService service, List<Path> sampleModels) {
    this(WorkbenchEngine.of(service), sampleModels);
  }

  /** The view model over any engine (a stand-in one in tests that run without PyTorch). */
  public MainViewModel(WorkbenchEngine service, List<Path> sampleModels) {
    this.service = service;
    this.library =
        new ModelLibraryViewModel(
            service,
            sampleModels,
            shown,
            new ModelLibraryViewModel.Host() {
              @Override
              public boolean decoding() {
                return running.get();
              }

              @Override
              public void replacing() {
                session.closeSession();
                clearDecode("");
              }

              @Override
              public void loaded(ModelHandle m) {
                intervention.modelChanged(m); // those in force name the old model's experts
              }

              @Override
              public void status(String text) {
                status.set(text);
              }

              @Override
              public void error(String text) {
                error.set(text);
              }
            },
            doorbell);
    this.stream = new TokenStreamViewModel(history, shown);
    this.analysis =
        new AnalysisViewModel(
            service.analysis(),
            library.models(),
            AnalysisViewModel.firstRouted(sampleModels, library.selectedModelProperty().get()),
            AnalysisViewModel.bundledCorpus(sampleModels),
            doorbell);
    this.intervention =
        new InterventionViewModel(
            service,
            doorbell,
            library.modelProperty(),
            shown.colourLayerProperty(),
            history,
            stream.inspectedProperty(),
            error::set,
            () -> running.get() ? job : null,
            this::tokenizer);
    this.routing =
        new RoutingViewModel(history, shown, intervention, running.getReadOnlyProperty());
    this.controller = new ControllerViewModel(history.window(), shown, intervention);
    this.attention = new AttentionViewModel(history, shown, intervention);
    this.lens = new LogitLensViewModel(history.tokens(), logitLens);
    this.session = new SessionViewModel(this, doorbell);
    this.compare = new CompareViewModel(service, this, sampleModels);
    this.patches = new PatchViewModel(history, shown, intervention, stream.inspectedProperty());
    this.latency = new LatencyViewModel(history.window(), library.modelCostProperty());
    ReadOnlyBooleanProperty loading = library.loadingProperty();
    canGenerate =
        Bindings.createBooleanBinding(
            () ->
                library.modelProperty().get() != null
                    && !running.get()
                    && !loading.get()
                    && !analysis.runningProperty().get()
                    && prompt.get() != null
                    && !prompt.get().isEmpty(),
            library.modelProperty(),
            running,
            loading,
            analysis.runningProperty(),
            prompt);
    canStep = canGenerate.or(running);
    // The engine thread does one job at a time: an analysis waits for no decode, and no decode
    // queues behind an analysis.
    analysis.engineBusyProperty().bind(running.or(loading).or(compare.runningProperty()));
    service
        .describe()
        .whenComplete(
            (d, e) ->
                inbox.offer(e == null ? new EngineReady(d) : new Failed("Engine start failed", e)));
  }

  // --- commands -----------------------------------------------------------------------------

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
    ModelHandle m = library.modelProperty().get();
    Path loadedDir = library.loadedModelProperty().get();
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
              loadedDir == null ? "" : loadedDir.toString(), m.family(), prompt.get(), FULL_ROWS);
      // Start first: a prompt the engine refuses leaves the previous decode (or session) on screen.
      job =
          service.decode(
              m,
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
    routing.cleared();
    stream.cleared();
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
    return history.retainedAttentionFloats(stream.inspectedProperty().get());
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
        || library.hasNews()
        || stream.stale();
  }

  /**
   * Applies everything the engine reported since the last call. Call on the UI thread at display
   * rate (the view's frame timer); cheap when nothing happened.
   */
  public void refresh() {
    session.refresh(); // before this inbox: an opened session feeds its records into it
    library.refresh();
    compare.refresh();
    analysis.refresh();
    intervention.refresh();
    List<Event> events = inbox.drain();
    if (events.isEmpty()) {
      stream.quiet();
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
          library.engineReady();
        }
        case Failed f -> {
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
              routing.prefill(p);
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
      stream.committed(finished, paused.get());
    }
    if (lastToken != null) {
      routing.token(lastToken);
    }
    if (finished) {
      running.set(false);
      paused.set(false);
      stream.ended();
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null
        && (t instanceof java.util.concurrent.CompletionException || t.getMessage() == null)) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** The loaded model's tokenizer, or the shown session's recorded labels (bytes before either). */
  private org.sparsityworkbench.engine.tokenizer.Tokenizer tokenizer() {
    return shown.labels();
  }

  /**
   * True when Step can act: it starts a held decode when Generate could run, and steps or holds one
   * that runs.
   */
  public BooleanBinding canStepBinding() {
    return canStep;
  }

  /**
   * The last finished decode's tokens per second of wall time (the engine's end record: telemetry
   * and hand-over included, unlike {@link #tokensPerSecondProperty()}, which counts step time).
   */
  public double lastWallTokensPerSecond() {
    return lastWallTokensPerSecond;
  }

  private double lastWallTokensPerSecond;

  /** How many refreshes so far brought new tokens to the views (each one repaints them). */
  public long updateCount() {
    return history.updateCount();
  }

  // --- the view models of the views -----------------------------------------------------------

  /** The engine this view model runs on (benchmarks decode on it directly). */
  public WorkbenchEngine engine() {
    return service;
  }

  /** The model list, loading, and the loaded model's Model tab. */
  public ModelLibraryViewModel library() {
    return library;
  }

  /** What the views know of the model whose decode they show (loaded, or a session's). */
  public ShownModel shown() {
    return shown;
  }

  /** The Decode tab's token stream and details. */
  public TokenStreamViewModel stream() {
    return stream;
  }

  /** The Routing view's model. */
  public RoutingViewModel routing() {
    return routing;
  }

  /** The Controller masks view's model. */
  public ControllerViewModel controller() {
    return controller;
  }

  /** The Attention view's model. */
  public AttentionViewModel attention() {
    return attention;
  }

  /** The Logit lens view's model. */
  public LogitLensViewModel lens() {
    return lens;
  }

  /** Saved sessions and the timeline. */
  public SessionViewModel session() {
    return session;
  }

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

  // --- the decode's settings and state --------------------------------------------------------

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

  /** Whether the next decode computes the logit lens (one head product per layer per token). */
  public javafx.beans.property.BooleanProperty logitLensProperty() {
    return logitLens;
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

  public ReadOnlyBooleanProperty runningProperty() {
    return running.getReadOnlyProperty();
  }

  /** True while a decode is held (Pause or Step). */
  public ReadOnlyBooleanProperty pausedProperty() {
    return paused.getReadOnlyProperty();
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

  /** True when Generate can run: a model is loaded, nothing is running, the prompt is not empty. */
  public BooleanBinding canGenerateBinding() {
    return canGenerate;
  }
}
