package org.sparsityworkbench.viewmodels;

import javafx.beans.property.BooleanProperty;
import javafx.collections.ObservableList;

/**
 * The Logit lens view's model: every token of the decode shown (each carries, when the lens ran,
 * the top prediction after every layer) and whether the next decode computes the lens.
 *
 * @param tokens the tokens of the decode shown, oldest first
 * @param computeProperty whether the next decode computes the lens (one head product per layer per
 *     token)
 */
public record LogitLensViewModel(
    ObservableList<TokenSnapshot> tokens, BooleanProperty computeProperty) {}
