package org.sparsityworkbench.viewmodels;

import javafx.collections.ObservableList;

/**
 * The Attention view's model: the window of recent tokens with their attention rows (full for the
 * newest {@link DecodeHistory#FULL_ROWS}, reduced for the rest), the model shown (its context sets
 * the position axis, its colour layer the layer drawn), the label of every position, and the
 * interventions its heads offer. {@link AttentionGrid} reduces the rows to what a panel draws.
 */
public final class AttentionViewModel {
  private final DecodeHistory history;
  private final ShownModel shown;
  private final InterventionViewModel intervention;

  AttentionViewModel(DecodeHistory history, ShownModel shown, InterventionViewModel intervention) {
    this.history = history;
    this.shown = shown;
    this.intervention = intervention;
  }

  /** The newest tokens, oldest first, with their attention rows. */
  public ObservableList<TokenSnapshot> window() {
    return history.window();
  }

  public ShownModel shown() {
    return shown;
  }

  public InterventionViewModel intervention() {
    return intervention;
  }

  /** The positions the model can attend to: the length of the position axis. */
  public int context() {
    return shown.context();
  }

  /** The token at a position as shown on its own; "" beyond the context decoded so far. */
  public String labelAt(int position) {
    return history.labelAt(position);
  }
}
