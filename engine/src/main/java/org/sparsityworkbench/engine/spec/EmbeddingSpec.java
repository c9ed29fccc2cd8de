package org.sparsityworkbench.engine.spec;

/**
 * Token embedding: row {@code id} of the (V, d) table, times a multiplier (1 except Granite's
 * {@code embedding_multiplier}).
 */
public record EmbeddingSpec(double multiplier) {
  /** The plain lookup. */
  public static final EmbeddingSpec PLAIN = new EmbeddingSpec(1.0);
}
