package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/** The feed-forward sub-layer of a block, over normalised input. */
public interface FeedForward {
  /**
   * @param layer the block's index (what interventions address)
   * @param h normalised input (B, T, d)
   * @return (B, T, d)
   */
  NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace);

  /**
   * Only the choices of the layer (a router's or a controller's) into the trace, where computing
   * the output can be skipped because nothing reads it (the last layer of a corpus analysis). A
   * dense layer has no choices: the default does nothing.
   */
  default void choose(int layer, NDArray h, Pass pass, LayerTrace trace) {}
}
