package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/** The feed-forward sub-layer of a block, over normalised input. */
public interface FeedForward {
  /**
   * @param h normalised input (B, T, d)
   * @return (B, T, d)
   */
  NDArray forward(NDArray h, Pass pass, LayerTrace trace);
}
