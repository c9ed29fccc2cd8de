package org.sparsityworkbench.viewmodels;

import java.util.Locale;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * The Routing view's model: the window of recent tokens with their routers' choices per layer, the
 * model shown (experts, layers, colour layer), the prompt's routing at capacity and the newest
 * token's route as one line each, and the interventions (ban or force an expert, what-if).
 *
 * <p>UI thread; fed by the main view model as records arrive.
 */
public final class RoutingViewModel {
  private final DecodeHistory history;
  private final ShownModel shown;
  private final InterventionViewModel intervention;
  private final ReadOnlyBooleanProperty running;
  private final ReadOnlyStringWrapper prefillRouting = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper newest = new ReadOnlyStringWrapper("");

  RoutingViewModel(
      DecodeHistory history,
      ShownModel shown,
      InterventionViewModel intervention,
      ReadOnlyBooleanProperty running) {
    this.history = history;
    this.shown = shown;
    this.intervention = intervention;
    this.running = running;
  }

  void cleared() {
    prefillRouting.set("");
    newest.set("");
  }

  void prefill(Records.Prefill p) {
    prefillRouting.set(describePrefill(p));
  }

  void token(Records.Token t) {
    newest.set(describeRouting(t));
  }

  /**
   * The routing of the most recent decoded tokens (at most {@link DecodeHistory#HISTORY}), oldest
   * first; updated once per frame.
   */
  public ObservableList<TokenSnapshot> window() {
    return history.window();
  }

  public ShownModel shown() {
    return shown;
  }

  public InterventionViewModel intervention() {
    return intervention;
  }

  /** True while a decode runs (what-if waits for it). */
  public ReadOnlyBooleanProperty runningProperty() {
    return running;
  }

  /** Capacity, drops and router losses of the last prompt (MoE models), one line. */
  public ReadOnlyStringProperty prefillRoutingProperty() {
    return prefillRouting.getReadOnlyProperty();
  }

  /** The newest token's route in every layer, one line ("" for dense models). */
  public ReadOnlyStringProperty routingProperty() {
    return newest.getReadOnlyProperty();
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
}
