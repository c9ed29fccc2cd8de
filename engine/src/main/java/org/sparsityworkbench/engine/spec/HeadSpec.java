package org.sparsityworkbench.engine.spec;

/**
 * The output head: logits = norm(x) W^T / logitScale, W the embedding table when tied, else its own
 * (V, d) matrix; logitScale is 1 except Granite's {@code logits_scaling}.
 */
public record HeadSpec(boolean tied, double logitScale) {
  /** Tied to the embedding, unscaled (the native families). */
  public static final HeadSpec TIED = new HeadSpec(true, 1.0);
}
