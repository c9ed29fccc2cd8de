package org.sparsityworkbench.viewmodels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * Interventions and the effect table, for the views that offer them (Routing's Intervene row, the
 * right-click menus of Attention, Controller masks, Routing and Patches): what is in force, what
 * the model has parts for, and the effect of banning each expert alone on one token.
 *
 * <p>UI thread; the effect table runs on the engine and reports into this view model's inbox, which
 * {@link #refresh()} drains.
 */
public final class InterventionViewModel {
  private final WorkbenchEngine engine;
  private final Inbox<Event> inbox;
  private final ReadOnlyObjectProperty<ModelHandle> model;
  private final IntegerProperty colourLayer;
  private final DecodeHistory history;
  private final ObjectProperty<TokenSnapshot> inspected;
  private final Consumer<String> error;
  private final Supplier<DecodeService.Job> runningJob;
  private final Supplier<org.sparsityworkbench.engine.tokenizer.Tokenizer> tokenizer;

  /** What the engine reports of the effect table. */
  private sealed interface Event {}

  /**
   * @param model the model loaded
   * @param colourLayer the layer shown (the effect table is of it; a change clears it)
   * @param history the decode shown (the effect table runs one of its tokens again)
   * @param inspected the token pointed at (else the newest)
   * @param error where a refusal is said
   * @param runningJob the decode running, which takes changes from its next step; null when none
   * @param tokenizer labels of the model shown
   */
  InterventionViewModel(
      WorkbenchEngine engine,
      Inbox.Doorbell doorbell,
      ReadOnlyObjectProperty<ModelHandle> model,
      IntegerProperty colourLayer,
      DecodeHistory history,
      ObjectProperty<TokenSnapshot> inspected,
      Consumer<String> error,
      Supplier<DecodeService.Job> runningJob,
      Supplier<org.sparsityworkbench.engine.tokenizer.Tokenizer> tokenizer) {
    this.engine = engine;
    this.inbox = new Inbox<>(doorbell);
    this.model = model;
    this.colourLayer = colourLayer;
    this.history = history;
    this.inspected = inspected;
    this.error = error;
    this.runningJob = runningJob;
    this.tokenizer = tokenizer;
    colourLayer.subscribe((a, b) -> clearEffects()); // the table is of one layer
  }

  /** A model was loaded: its kinds, its experts; what named the old one's parts goes. */
  void modelChanged(ModelHandle m) {
    setInterventions(List.of());
    clearEffects();
    expertCount.set(m == null ? 0 : m.spec().maxExperts());
    refreshInterventionKinds();
  }

  /** True when the effect table has news for {@link #refresh()}. */
  boolean hasNews() {
    return !inbox.isEmpty();
  }

  /** Applies what the engine reported of the effect table; UI thread. */
  void refresh() {
    for (Event e : inbox.drain()) {
      apply(e);
    }
  }

  private final ObservableList<org.sparsityworkbench.engine.intervention.Intervention>
      interventions = FXCollections.observableArrayList();

  /**
   * The interventions of the next decode, and of the running one from its next step on (each token
   * record lists those in force). Cleared when another model is loaded.
   */
  public ObservableList<org.sparsityworkbench.engine.intervention.Intervention> interventions() {
    return interventionsView;
  }

  private final ObservableList<org.sparsityworkbench.engine.intervention.Intervention>
      interventionsView = FXCollections.unmodifiableObservableList(interventions);

  /**
   * Adds an intervention in its command-line form ({@code ban}, {@code 1:3}); one that cannot be
   * read or does not fit the model (with those already in force) is refused with the reason, and
   * nothing changes.
   *
   * @return true when added
   */
  public boolean addIntervention(String kind, String value) {
    ModelHandle m = model.get();
    if (m == null) {
      error.accept(
          "Load a model first: an intervention is checked against its layers and experts.");
      return false;
    }
    if (!m.supportsInterventions()) {
      error.accept("Interventions do not apply to " + m.family() + " models yet.");
      return false;
    }
    List<org.sparsityworkbench.engine.intervention.Intervention> next =
        new ArrayList<>(interventions);
    try {
      var i = org.sparsityworkbench.engine.intervention.Interventions.parse(kind, value);
      if (next.contains(i)) {
        return false;
      }
      next.add(i);
      org.sparsityworkbench.engine.intervention.Interventions.of(next, m.spec());
    } catch (IllegalArgumentException e) {
      error.accept(e.getMessage());
      return false;
    }
    setInterventions(next);
    return true;
  }

  /**
   * Adds the intervention, or takes it out when it is in force: what a figure's right-click menu
   * does ("Turn head 1:2 off", then "Turn head 1:2 back on").
   *
   * @return true when it changed (added, or taken out)
   */
  public boolean toggleIntervention(String kind, String value) {
    if (hasIntervention(kind, value)) {
      removeIntervention(
          org.sparsityworkbench.engine.intervention.Interventions.parse(kind, value));
      return true;
    }
    return addIntervention(kind, value);
  }

  /**
   * Whether this intervention, in its command-line form, is in force; false when it cannot be read.
   */
  public boolean hasIntervention(String kind, String value) {
    try {
      return interventions.contains(
          org.sparsityworkbench.engine.intervention.Interventions.parse(kind, value));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The kinds of intervention the loaded model has what they change for (ban, force, top-k,
   * temperature and capacity where it routes; shared-expert-off where a layer has a shared expert;
   * head-off always; force-unit and block-off with a sparse feed-forward; module-off with sparse
   * QKV); empty with no model.
   */
  public ObservableList<String> interventionKinds() {
    return interventionKindsView;
  }

  private final ObservableList<String> interventionKinds = FXCollections.observableArrayList();
  private final ObservableList<String> interventionKindsView =
      FXCollections.unmodifiableObservableList(interventionKinds);

  /**
   * A value of the kind that the loaded model takes, in its command-line form, at the layer shown
   * where the kind applies there, else at every layer ({@code *}); empty when it applies nowhere.
   */
  public String interventionExample(String kind) {
    ModelHandle m = model.get();
    String v =
        m == null || kind == null
            ? null
            : org.sparsityworkbench.engine.intervention.Interventions.example(
                kind, m.spec(), colourLayer.get());
    return v == null ? "" : v;
  }

  void refreshInterventionKinds() {
    ModelHandle m = model.get();
    interventionKinds.setAll(
        m == null || !m.supportsInterventions()
            ? List.of()
            : INTERVENTION_KINDS.stream()
                .filter(
                    k ->
                        org.sparsityworkbench.engine.intervention.Interventions.example(
                                k, m.spec(), -1)
                            != null)
                .toList());
  }

  /** Takes an intervention out (from the running decode's next step on). */
  public void removeIntervention(org.sparsityworkbench.engine.intervention.Intervention i) {
    List<org.sparsityworkbench.engine.intervention.Intervention> next =
        new ArrayList<>(interventions);
    if (next.remove(i)) {
      setInterventions(next);
    }
  }

  /** Takes every intervention out. */
  public void clearInterventions() {
    if (!interventions.isEmpty()) {
      setInterventions(List.of());
    }
  }

  private final ObservableList<String> interventionLabels = FXCollections.observableArrayList();
  private final javafx.beans.property.ReadOnlyIntegerWrapper expertCount =
      new javafx.beans.property.ReadOnlyIntegerWrapper();

  /** The interventions in their command-line form ({@code ban *:3}), in the order added. */
  public ObservableList<String> interventionLabels() {
    return interventionLabelsView;
  }

  /**
   * One read-only view, kept: a wrapper made per call listens to the list weakly, so listeners
   * added to it would die with it at the next collection.
   */
  private final ObservableList<String> interventionLabelsView =
      FXCollections.unmodifiableObservableList(interventionLabels);

  /** The kinds of intervention {@link #addIntervention} takes, as the command line names them. */
  public static final List<String> INTERVENTION_KINDS =
      org.sparsityworkbench.engine.intervention.Intervention.KINDS;

  /** Takes out the intervention at this index of {@link #interventionLabels()}. */
  public void removeIntervention(int index) {
    if (index >= 0 && index < interventions.size()) {
      removeIntervention(interventions.get(index));
    }
  }

  /** The most experts of any layer of the loaded model (0 without a model or routing). */
  public ReadOnlyIntegerProperty expertCountProperty() {
    return expertCount.getReadOnlyProperty();
  }

  void setInterventions(List<org.sparsityworkbench.engine.intervention.Intervention> next) {
    interventions.setAll(next);
    interventionLabels.setAll(
        next.stream()
            .map(org.sparsityworkbench.engine.intervention.Intervention::describe)
            .toList());
    DecodeService.Job running = runningJob.get();
    if (running != null) {
      running.setInterventions(next);
    }
  }

  /** One row of the effect table: an expert banned alone, and what the next token does then. */
  public record EffectRow(
      String expert, String chosen, String klBits, String top, String topP, boolean changed) {}

  private final ObservableList<EffectRow> effects = FXCollections.observableArrayList();
  private final javafx.beans.property.ReadOnlyStringWrapper effectsStatus =
      new javafx.beans.property.ReadOnlyStringWrapper("");
  private final javafx.beans.property.ReadOnlyBooleanWrapper effectsRunning =
      new javafx.beans.property.ReadOnlyBooleanWrapper();
  private final javafx.beans.property.ReadOnlyDoubleWrapper effectsProgress =
      new javafx.beans.property.ReadOnlyDoubleWrapper();
  private final java.util.concurrent.atomic.AtomicBoolean effectsCancel =
      new java.util.concurrent.atomic.AtomicBoolean();
  private int effectsGeneration;

  private record EffectsProgress(int generation, int done, int experts) implements Event {}

  private record EffectsDone(
      int generation,
      String what,
      List<org.sparsityworkbench.engine.intervention.ExpertEffects.Effect> effects,
      Throwable failure)
      implements Event {}

  /** The effect table of the last run, one row per expert; empty until run, cleared by changes. */
  public ObservableList<EffectRow> effects() {
    return effects;
  }

  /** What the effect table is of, or why it is empty. */
  public ReadOnlyStringProperty effectsStatusProperty() {
    return effectsStatus.getReadOnlyProperty();
  }

  public ReadOnlyBooleanProperty effectsRunningProperty() {
    return effectsRunning.getReadOnlyProperty();
  }

  /** 0..1 of the experts done. */
  public javafx.beans.property.ReadOnlyDoubleProperty effectsProgressProperty() {
    return effectsProgress.getReadOnlyProperty();
  }

  /**
   * Runs the token inspected (or the newest) again once per expert of the shown layer, each banned
   * alone, with the decode's interventions; the engine thread must be free (no decode running or
   * held).
   */
  public void computeEffects() {
    ModelHandle m = model.get();
    boolean decoding = runningJob.get() != null;
    if (m == null || decoding || effectsRunning.get() || history.tokens().isEmpty()) {
      effectsStatus.set(
          decoding
              ? "Stop the decode first: the effects run on the engine thread it holds."
              : "Generate first: the effects are of a decoded token.");
      return;
    }
    if (!m.transformer()) {
      effectsStatus.set("The effect of each expert is not built for " + m.family() + " models.");
      return;
    }
    int layer = Math.max(0, Math.min(colourLayer.get(), m.spec().layers() - 1));
    if (!(m.spec().block(layer).feedForward()
        instanceof org.sparsityworkbench.engine.spec.FeedForwardSpec.Moe)) {
      effectsStatus.set("Layer " + layer + " does not route: pick a routed layer.");
      return;
    }
    TokenSnapshot t = inspected.get() != null ? inspected.get() : history.tokens().getLast();
    Records.Prefill p = history.prefillProperty().get();
    if (p == null || p.ids() == null) {
      effectsStatus.set("The prompt's ids are not known for this decode.");
      return;
    }
    List<Integer> seq = new ArrayList<>();
    for (int id : p.ids()) {
      seq.add(id);
    }
    for (TokenSnapshot s : history.tokens()) {
      if (s.step() <= t.step()) {
        seq.add(s.record().token());
      }
    }
    int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
    List<org.sparsityworkbench.engine.intervention.Intervention> inForce =
        t.record().interventions() == null
            ? List.of()
            : t.record().interventions().stream()
                .map(
                    d -> {
                      String[] kv = d.split(" ", 2);
                      return org.sparsityworkbench.engine.intervention.Interventions.parse(
                          kv[0], kv[1]);
                    })
                .toList();
    int g = ++effectsGeneration;
    int experts = m.spec().maxExperts();
    String what =
        "Layer "
            + layer
            + ", after '"
            + t.label()
            + "' (step "
            + t.step()
            + "): each expert banned alone";
    effects.clear();
    effectsCancel.set(false);
    effectsRunning.set(true);
    effectsProgress.set(0);
    effectsStatus.set(what + "…");
    engine
        .expertEffects(
            m,
            ids,
            layer,
            inForce,
            done -> inbox.offer(new EffectsProgress(g, done, experts)),
            effectsCancel::get)
        .whenComplete((list, e) -> inbox.offer(new EffectsDone(g, what, list, e)));
  }

  /** Stops the effect table after the expert being run; the rows so far stay. */
  public void cancelEffects() {
    effectsCancel.set(true);
  }

  /** Forgets the effect table (its token, layer or model has changed). */
  void clearEffects() {
    effectsGeneration++;
    effectsCancel.set(true);
    effectsRunning.set(false);
    effectsProgress.set(0);
    effects.clear();
    effectsStatus.set("");
  }

  private void apply(Event event) {
    if (event instanceof EffectsProgress p) {
      if (p.generation() == effectsGeneration) {
        effectsProgress.set((double) p.done() / p.experts());
      }
      return;
    }
    if (!(event instanceof EffectsDone d) || d.generation() != effectsGeneration) {
      return; // an older table's
    }
    {
      {
        effectsRunning.set(false);
        if (d.failure() != null) {
          effectsStatus.set("The effects failed: " + MainViewModel.rootMessage(d.failure()));
          return;
        }
        org.sparsityworkbench.engine.tokenizer.Tokenizer tok = tokenizer.get();
        var original = d.effects().getFirst();
        List<EffectRow> rows = new ArrayList<>();
        for (var e : d.effects().subList(1, d.effects().size())) {
          rows.add(
              new EffectRow(
                  "E" + e.expert(),
                  e.chosen() ? "yes" : "",
                  String.format(java.util.Locale.ROOT, "%.4f", e.klBits()),
                  AnalysisViewModel.shown(tok.label(e.top())),
                  String.format(java.util.Locale.ROOT, "%.3f", e.topP()),
                  e.topChanged()));
        }
        effects.setAll(rows);
        effectsProgress.set(1);
        effectsStatus.set(
            d.what()
                + String.format(
                    java.util.Locale.ROOT,
                    ": the model predicts '%s' (p %.3f); KL in bits from that distribution%s",
                    AnalysisViewModel.shown(tok.label(original.top())),
                    original.topP(),
                    rows.size() < expertCount.get()
                        ? String.format(
                            java.util.Locale.ROOT,
                            " (cancelled after %d of %d experts)",
                            rows.size(),
                            expertCount.get())
                        : ""));
      }
    }
  }
}
