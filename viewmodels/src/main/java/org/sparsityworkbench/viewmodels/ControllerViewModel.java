package org.sparsityworkbench.viewmodels;

import javafx.collections.ObservableList;

/**
 * The Controller masks view's model: the window of recent tokens (their controllers' chosen units
 * and sparse QKV module activity per layer), the model shown and its colour layer, and the
 * interventions its cells offer (force a unit, a block or a module off).
 *
 * @param window the newest tokens, oldest first, at most {@link DecodeHistory#HISTORY}
 * @param shown the model shown
 * @param intervention the interventions in force and the kinds the model takes
 */
public record ControllerViewModel(
    ObservableList<TokenSnapshot> window, ShownModel shown, InterventionViewModel intervention) {}
