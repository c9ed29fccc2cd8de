package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.decode.Comparison;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/**
 * Two models on the same prompt, settings and seed, side by side: model A is the main window's
 * model, model B is picked here. Per step: whether their most probable next tokens agree, the KL
 * divergence of their next-token distributions, and the running speed ratio.
 *
 * <p>Threading as in {@link MainViewModel}: the engine thread offers, {@link #refresh()} applies.
 */
public final class CompareViewModel {
  private final WorkbenchEngine service;
  private final MainViewModel main;
  private final Inbox<Object> inbox;
  private final ObjectProperty<Path> modelB = new SimpleObjectProperty<>();
  private final ReadOnlyStringWrapper textA = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper textB = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("");
  private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
  private final ObservableList<Double> kl = FXCollections.observableArrayList();
  private final ObservableList<Double> latencyA = FXCollections.observableArrayList();
  private final ObservableList<Double> latencyB = FXCollections.observableArrayList();
  private final BooleanBinding canCompare;
  private final StringBuilder a = new StringBuilder();
  private final StringBuilder b = new StringBuilder();
  private ModelHandle loadedB;
  private Path loadedPath;
  private int steps;
  private int agreements;
  private double klSum;
  private double usA;
  private double usB;

  /**
   * Counts results: each comparison, and each change of model A or B, starts a new one. Events of
   * an older one are dropped, so what is shown always belongs to the models it names.
   */
  private int generation;

  private DecodeService.Job job;
  private final ReadOnlyObjectWrapper<Path> resultA = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyObjectWrapper<Path> resultB = new ReadOnlyObjectWrapper<>();

  /** An event of comparison number {@code generation}. */
  private record Tagged(int generation, Object event) {}

  private record LoadedB(Path path, ModelHandle model) {}

  private record Failed(String message) {}

  private record Done() {}

  CompareViewModel(WorkbenchEngine service, MainViewModel main, List<Path> models) {
    this.inbox = new Inbox<>(main.doorbell);
    this.service = service;
    this.main = main;
    modelB.set(partner(models, main.library().selectedModelProperty().get()));
    main.library()
        .selectedModelProperty()
        .subscribe(
            a -> {
              if (a != null && a.equals(modelB.get())) {
                modelB.set(partner(main.library().models(), a));
              }
            });
    // A result belongs to the models it was computed with: another A or B clears it.
    main.library().loadedModelProperty().subscribe(this::clearResult);
    modelB.subscribe(this::clearResult);
    whatIf.subscribe((x, y) -> clearResult());
    main.intervention()
        .interventions()
        .addListener(
            (javafx.collections.ListChangeListener<Object>)
                c -> {
                  if (whatIf.get()) {
                    clearResult(); // the result was of other interventions
                  }
                });
    forkAfter.subscribe((x, y) -> clearResult());
    canCompare =
        Bindings.createBooleanBinding(
            () ->
                (whatIf.get()
                        ? !main.intervention().interventions().isEmpty()
                        : modelB.get() != null)
                    && main.library().modelProperty().get() != null
                    && !running.get()
                    && !main.analysis().runningProperty().get(),
            whatIf,
            main.intervention().interventions(),
            modelB,
            main.library().modelProperty(),
            running,
            main.analysis().runningProperty());
  }

  /**
   * The model to compare A with by default: for a dense A the sparsest bundled model (sparse
   * FF+QKV, then sparse FF or QKV, then mixture of experts), for a sparse or routed A the dense
   * one; any other model when no family fits, null when there is no other model. Families come from
   * each directory's config.json; unreadable ones rank last.
   */
  static Path partner(List<Path> models, Path a) {
    Family familyA = family(a);
    List<Family> wanted =
        familyA == Family.DENSE || familyA == null
            ? List.of(
                Family.SPARSE_FFQKV,
                Family.SPARSE_FF,
                Family.SPARSE_QKV,
                Family.TOPK,
                Family.SWITCH)
            : List.of(Family.DENSE);
    Path best = null;
    int bestRank = Integer.MAX_VALUE;
    for (Path p : models) {
      if (p.equals(a)) {
        continue;
      }
      Family f = family(p);
      int rank = f == null || !wanted.contains(f) ? wanted.size() : wanted.indexOf(f);
      if (rank < bestRank) {
        best = p;
        bestRank = rank;
      }
    }
    return best;
  }

  static Family family(Path dir) {
    if (dir == null) {
      return null;
    }
    try {
      return ModelConfig.read(dir.resolve(TransformerModel.CONFIG_FILE)).family();
    } catch (ModelFormatException | RuntimeException e) {
      return null; // loading it reports the problem; here it only ranks last
    }
  }

  /** Forgets the shown result (and stops one being computed): model A or B has changed. */
  private void clearResult() {
    if (job != null) {
      job.cancel();
      job = null;
    }
    generation++;
    running.set(false);
    resultA.set(null);
    resultB.set(null);
    nameB.set("");
    clearFigures();
    summary.set("");
  }

  private void clearFigures() {
    recordsA.clear();
    recordsB.clear();
    sessionsReady.set(false);
    a.setLength(0);
    b.setLength(0);
    textA.set("");
    textB.set("");
    latencyA.clear();
    latencyB.clear();
    kl.clear(); // last: its listeners draw, and read the latencies
    steps = 0;
    firstDifference = -1;
    moved = new int[0];
    movedLines.setLength(0);
    movedTokens.set("");
    agreements = 0;
    klSum = 0;
    usA = 0;
    usB = 0;
  }

  /** Each side's records as its decode produced them (prefill, tokens, end), for sessions. */
  private final List<org.sparsityworkbench.engine.telemetry.Records.Record> recordsA =
      new java.util.ArrayList<>();

  private final List<org.sparsityworkbench.engine.telemetry.Records.Record> recordsB =
      new java.util.ArrayList<>();

  private final ReadOnlyBooleanWrapper sessionsReady = new ReadOnlyBooleanWrapper(false);

  /** What each side's session is of (model, prompt, options), set when a comparison starts. */
  private org.sparsityworkbench.engine.telemetry.Records.Session sessionA;

  private org.sparsityworkbench.engine.telemetry.Records.Session sessionB;

  /** A side's framing records: both prefills, or both ends. */
  private record Sides(
      org.sparsityworkbench.engine.telemetry.Records.Record a,
      org.sparsityworkbench.engine.telemetry.Records.Record b) {}

  /** True when the result shown has ended, so both sides can be saved as sessions. */
  public ReadOnlyBooleanProperty sessionsReadyProperty() {
    return sessionsReady.getReadOnlyProperty();
  }

  /**
   * Saves the result shown as two sessions, A's and B's, each with its model's identity, off the UI
   * thread (the main status says where they went). A what-if's sides are one model with and without
   * the interventions; their records name the interventions in force. A comparison of two models
   * runs with telemetry off (so that its latencies are those of the models alone), so its sessions
   * hold the text and the latencies; a what-if's hold the summary telemetry (routing and controller
   * choices).
   */
  public void saveSessions(Path fileA, Path fileB) {
    if (!sessionsReady.get()) {
      summary.set("Nothing to save: compare first, and let it end");
      return;
    }
    ModelHandle modelA = main.library().modelProperty().get();
    boolean same = whatIf.get(); // B is A with the interventions
    main.session()
        .writeSessions(
            List.of(
                new SessionViewModel.SessionToWrite(fileA, resultA.get(), modelA, recordsA),
                new SessionViewModel.SessionToWrite(
                    fileB, resultB.get(), same ? modelA : loadedB, recordsB)));
  }

  /** The file beside A's for B's session: {@code x-A.session.gz} gives {@code x-B.session.gz}. */
  public static Path fileB(Path fileA) {
    return SessionFile.sideB(fileA);
  }

  /** A side's session head: its model's directory and family, the prompt, the options. */
  private static org.sparsityworkbench.engine.telemetry.Records.Session session(
      DecodeOptions o, Path dir, ModelHandle m, String prompt) {
    return o.session(dir == null ? "" : dir.toString(), m.family(), prompt, null);
  }

  /** Where the engine sends a comparison's steps and framing records, tagged with its number. */
  private Comparison.Sink sink(int g) {
    return new Comparison.Sink() {
      @Override
      public void accept(Comparison.Step s) {
        inbox.offer(new Tagged(g, s));
      }

      @Override
      public void sides(
          org.sparsityworkbench.engine.telemetry.Records.Record a,
          org.sparsityworkbench.engine.telemetry.Records.Record b) {
        inbox.offer(new Tagged(g, new Sides(a, b)));
      }
    };
  }

  private final javafx.beans.property.BooleanProperty whatIf =
      new javafx.beans.property.SimpleBooleanProperty();
  private final javafx.beans.property.IntegerProperty forkAfter =
      new javafx.beans.property.SimpleIntegerProperty();
  private final ReadOnlyStringWrapper nameB = new ReadOnlyStringWrapper("");
  private final StringBuilder movedLines = new StringBuilder();
  private final ReadOnlyStringWrapper movedTokens = new ReadOnlyStringWrapper("");

  /**
   * A what-if's tokens that B, reading A's text, routed to other experts: one line per such step,
   * its token and the layers where the experts changed.
   */
  public ReadOnlyStringProperty movedTokensProperty() {
    return movedTokens.getReadOnlyProperty();
  }

  private int firstDifference = -1;
  private int[] moved = new int[0];

  /**
   * A what-if instead of another model: B is model A with the main window's interventions, and both
   * continue from the same state (the prompt and the first {@link #forkAfterProperty} tokens of the
   * main decode) with the same seed.
   */
  public javafx.beans.property.BooleanProperty whatIfProperty() {
    return whatIf;
  }

  /** How many of the main decode's tokens the what-if keeps before it forks (0: the prompt). */
  public javafx.beans.property.IntegerProperty forkAfterProperty() {
    return forkAfter;
  }

  /** What B of the result shown is: a model's name, or A's with its interventions. */
  public ReadOnlyStringProperty nameBProperty() {
    return nameB.getReadOnlyProperty();
  }

  /** Loads model B (if needed) and runs the comparison. */
  public void compare() {
    if (!canCompare.get()) {
      return;
    }
    generation++;
    clearFigures();
    running.set(true);
    summary.set("Comparing…");
    resultA.set(main.library().loadedModelProperty().get());
    if (whatIf.get()) {
      startWhatIf();
      return;
    }
    resultB.set(modelB.get());
    nameB.set(modelB.get().getFileName().toString());
    int g = generation;
    Path path = modelB.get();
    if (path.equals(loadedPath)) {
      start(loadedB);
      return;
    }
    service
        .load(path, org.sparsityworkbench.engine.io.LoadProgress.NONE)
        .whenComplete(
            (m, e) ->
                inbox.offer(
                    new Tagged(
                        g,
                        e == null
                            ? new LoadedB(path, m)
                            : new Failed("Cannot load B: " + MainViewModel.rootMessage(e)))));
  }

  private void start(ModelHandle modelB) {
    ModelHandle modelA = main.library().modelProperty().get();
    try {
      DecodeOptions o =
          new DecodeOptions(
              main.maxTokensProperty().get(),
              new SamplingOptions(
                  main.temperatureProperty().get(), 0, 1.0, main.seedProperty().get()),
              TelemetryLevel.OFF,
              true);
      sessionA =
          session(
              o, main.library().loadedModelProperty().get(), modelA, main.promptProperty().get());
      sessionB = session(o, resultB.get(), modelB, main.promptProperty().get());
      int g = generation;
      job = service.compare(modelA, modelB, main.promptProperty().get(), o, sink(g));
      job.done()
          .whenComplete(
              (v, e) ->
                  inbox.offer(
                      new Tagged(
                          g, e == null ? new Done() : new Failed(MainViewModel.rootMessage(e)))));
    } catch (IllegalArgumentException e) {
      running.set(false);
      summary.set(e.getMessage());
    }
  }

  private void startWhatIf() {
    ModelHandle m = main.library().modelProperty().get();
    List<org.sparsityworkbench.engine.intervention.Intervention> list =
        List.copyOf(main.intervention().interventions());
    List<Integer> ids = new java.util.ArrayList<>();
    StringBuilder forkedPrompt = new StringBuilder(main.promptProperty().get());
    var prefill = main.history().prefillProperty().get();
    int kept = 0;
    if (prefill != null && prefill.ids() != null) {
      for (int id : prefill.ids()) {
        ids.add(id);
      }
      for (TokenSnapshot t : main.history().tokens()) {
        if (kept >= forkAfter.get()) {
          break;
        }
        ids.add(t.record().token());
        forkedPrompt.append(t.record().text());
        kept++;
      }
    } else {
      for (int id : m.tokenizer().encode(main.promptProperty().get())) {
        ids.add(id);
      }
    }
    String with = String.join(", ", list.stream().map(i -> i.describe()).toList());
    resultB.set(main.library().loadedModelProperty().get());
    nameB.set(main.library().loadedModelProperty().get().getFileName() + " + " + with);
    try {
      SamplingOptions sampling =
          new SamplingOptions(main.temperatureProperty().get(), 0, 1.0, main.seedProperty().get());
      DecodeOptions original =
          new DecodeOptions(
              main.maxTokensProperty().get(), sampling, TelemetryLevel.SUMMARY, false);
      sessionA =
          session(original, main.library().loadedModelProperty().get(), m, forkedPrompt.toString());
      sessionB = sessionA; // the interventions are in every record of B
      int g = generation;
      job =
          service.whatIf(
              m,
              ids.stream().mapToInt(Integer::intValue).toArray(),
              original,
              original.with(list),
              sink(g));
      int forkedAt = kept;
      summary.set(
          "What-if from "
              + (forkedAt == 0 ? "the prompt" : "token " + forkedAt + " of the decode")
              + ": B is A with "
              + with
              + "…");
      job.done()
          .whenComplete(
              (v, e) ->
                  inbox.offer(
                      new Tagged(
                          g, e == null ? new Done() : new Failed(MainViewModel.rootMessage(e)))));
    } catch (IllegalArgumentException e) {
      running.set(false);
      summary.set(e.getMessage());
    }
  }

  boolean inboxEmpty() {
    return inbox.isEmpty();
  }

  /** Applies what the engine reported; called by {@link MainViewModel#refresh()}. */
  void refresh() {
    List<Object> events = inbox.drain();
    if (events.isEmpty()) {
      return;
    }
    List<Double> freshKl = new java.util.ArrayList<>();
    List<Double> freshA = new java.util.ArrayList<>();
    List<Double> freshB = new java.util.ArrayList<>();
    for (Object tagged : events) {
      Tagged t = (Tagged) tagged;
      Object ev = t.event();
      if (t.generation() != generation) {
        if (ev instanceof LoadedB l) {
          keepB(l); // a model B loaded for a comparison since cleared: keep it for the next one
        }
        continue; // a result for models no longer shown
      }
      switch (ev) {
        case LoadedB l -> {
          keepB(l);
          start(loadedB);
        }
        case Sides f -> {
          recordsA.add(
              f.a() instanceof org.sparsityworkbench.engine.telemetry.Records.Prefill p
                  ? p.withSession(sessionA)
                  : f.a());
          recordsB.add(
              f.b() instanceof org.sparsityworkbench.engine.telemetry.Records.Prefill p
                  ? p.withSession(sessionB)
                  : f.b());
          sessionsReady.set(
              f.a() instanceof org.sparsityworkbench.engine.telemetry.Records.End
                  && f.b() instanceof org.sparsityworkbench.engine.telemetry.Records.End);
        }
        case Comparison.Step s -> {
          recordsA.add(s.a());
          recordsB.add(s.b());
          a.append(s.a().text());
          b.append(s.b().text());
          steps++;
          agreements += s.agree() ? 1 : 0;
          klSum += s.kl();
          usA += s.a().latencyUs();
          usB += s.b().latencyUs();
          freshKl.add(s.kl());
          if (firstDifference < 0 && !s.agree()) {
            firstDifference = s.step();
          }
          if (s.moved() != null && !s.moved().isEmpty()) {
            movedLines
                .append(movedLines.isEmpty() ? "" : "\n")
                .append("step ")
                .append(s.step())
                .append(", '")
                .append(AnalysisViewModel.shown(s.a().text()))
                .append("': ")
                .append(String.join(", ", s.moved().stream().map(l -> "L" + l).toList()));
          }
          if (s.moved() != null) {
            for (int l : s.moved()) {
              if (l >= moved.length) {
                moved = java.util.Arrays.copyOf(moved, l + 1);
              }
              moved[l]++;
            }
          }
          freshA.add(s.a().latencyUs());
          freshB.add(s.b().latencyUs());
        }
        case Done d -> {
          running.set(false);
          job = null;
        }
        case Failed f -> {
          running.set(false);
          job = null;
          clearFigures();
          summary.set(f.message());
          resultA.set(null);
          resultB.set(null);
          break;
        }
        default -> throw new IllegalStateException("unexpected event " + ev);
      }
    }
    if (!running.get() && resultA.get() == null) {
      textA.set("");
      textB.set("");
      return; // failed: nothing to show but the message
    }
    textA.set(a.toString());
    textB.set(b.toString());
    movedTokens.set(movedLines.toString());
    latencyA.addAll(freshA);
    latencyB.addAll(freshB);
    kl.addAll(freshKl); // last: its listeners draw, and read the latencies
    if (steps > 0) {
      summary.set(
          String.format(
                  Locale.ROOT,
                  "%d steps · most probable next token agrees %.0f%% · mean KL(A||B) %.3f bits ·"
                      + " B takes %.2fx the time of A per token%s",
                  steps,
                  100.0 * agreements / steps,
                  klSum / steps,
                  usB / usA,
                  running.get() ? "" : " · done")
              + (whatIf.get() && nameB.get().contains(" + ") ? whatIfSummary() : ""));
    }
  }

  /** Where the greedy choices first differ, and in which layers routing moved on A's text. */
  private String whatIfSummary() {
    StringBuilder b =
        new StringBuilder(
            firstDifference < 0
                ? " · the most probable next tokens never differ"
                : " · the most probable next tokens first differ at step " + firstDifference);
    StringBuilder layers = new StringBuilder();
    for (int l = 0; l < moved.length; l++) {
      if (moved[l] > 0) {
        layers
            .append(layers.isEmpty() ? "" : ", ")
            .append("L")
            .append(l)
            .append(" ")
            .append(moved[l]);
      }
    }
    b.append(
        layers.isEmpty()
            ? " · no token changed expert"
            : " · tokens that changed expert (on A's text): " + layers);
    return b.toString();
  }

  private void keepB(LoadedB l) {
    if (l.model() == loadedB) {
      return;
    }
    if (loadedB != null) {
      service.release(loadedB);
    }
    loadedB = l.model();
    loadedPath = l.path();
  }

  /** Model A of the result shown (null when none is shown). */
  public ReadOnlyObjectProperty<Path> resultAProperty() {
    return resultA.getReadOnlyProperty();
  }

  /** Model B of the result shown (null when none is shown). */
  public ReadOnlyObjectProperty<Path> resultBProperty() {
    return resultB.getReadOnlyProperty();
  }

  public ObjectProperty<Path> modelBProperty() {
    return modelB;
  }

  public ReadOnlyStringProperty textAProperty() {
    return textA.getReadOnlyProperty();
  }

  public ReadOnlyStringProperty textBProperty() {
    return textB.getReadOnlyProperty();
  }

  /** Agreement, mean KL and speed ratio so far. */
  public ReadOnlyStringProperty summaryProperty() {
    return summary.getReadOnlyProperty();
  }

  public ReadOnlyBooleanProperty runningProperty() {
    return running.getReadOnlyProperty();
  }

  /** KL(A||B) in bits, one value per step. */
  public ObservableList<Double> klHistory() {
    return kl;
  }

  /** Model A's step time per step, microseconds. */
  public ObservableList<Double> latencyA() {
    return latencyA;
  }

  /** Model B's step time per step, microseconds. */
  public ObservableList<Double> latencyB() {
    return latencyB;
  }

  /** True when a comparison can start. */
  public BooleanBinding canCompareBinding() {
    return canCompare;
  }
}
