package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * Token ids to the residual stream: x = table[id] (+ positions[p] for learned positions) (*
 * multiplier, when it is not 1).
 */
public final class Embedding {
  private final NDArray table; // (V, d)
  private final NDArray positions; // (context, d) or null
  private final NDArray multiplier; // scalar or null

  public Embedding(NDArray table, NDArray positions, NDArray multiplier) {
    this.table = table;
    this.positions = positions;
    this.multiplier = multiplier;
  }

  /** The (V, d) table (also the tied output head). */
  NDArray table() {
    return table;
  }

  /** tokens (B, T) int64 at positions start.. -> (B, T, d). */
  NDArray forward(NDArray tokens, int start) {
    long b = tokens.getShape().get(0);
    long t = tokens.getShape().get(1);
    NDArray x = table.get(tokens.flatten()).reshape(b, t, table.getShape().get(1)); // (B, T, d)
    if (positions != null) {
      x = x.add(positions.get(new NDIndex("{}:{}", start, start + t))); // + (T, d)
    }
    return multiplier == null ? x : x.mul(multiplier);
  }
}
