package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * One pre-norm transformer block: x += r * attention(norm1(x)); x += r * feedForward(norm2(x)), r
 * the residual multiplier (left out when it is 1). Times both halves into the trace.
 */
public final class Block {
  private final RmsNorm attentionNorm;
  private final Attention attention;
  private final RmsNorm feedForwardNorm;
  private final FeedForward feedForward;
  private final NDArray residual; // scalar or null

  public Block(
      RmsNorm attentionNorm,
      Attention attention,
      RmsNorm feedForwardNorm,
      FeedForward feedForward,
      NDArray residual) {
    this.attentionNorm = attentionNorm;
    this.attention = attention;
    this.feedForwardNorm = feedForwardNorm;
    this.feedForward = feedForward;
    this.residual = residual;
  }

  /** The feed-forward part (for tests and tools that look at one layer). */
  FeedForward feedForward() {
    return feedForward;
  }

  NDArray forward(int layer, NDArray x, Pass pass, LayerTrace trace) {
    long t0 = System.nanoTime();
    x = x.add(scaled(attention.forward(layer, attentionNorm.apply(x), pass, trace)));
    long t1 = System.nanoTime();
    x = x.add(scaled(feedForward.forward(layer, feedForwardNorm.apply(x), pass, trace)));
    if (trace != null) {
      trace.attentionNanos = t1 - t0;
      trace.ffnNanos = System.nanoTime() - t1 - trace.routerNanos;
    }
    return x;
  }

  /**
   * The attention half as in {@link #forward}, then only the feed-forward's choices into the trace
   * (its output is not computed).
   */
  void choose(int layer, NDArray x, Pass pass, LayerTrace trace) {
    x = x.add(scaled(attention.forward(layer, attentionNorm.apply(x), pass, trace)));
    feedForward.choose(layer, feedForwardNorm.apply(x), pass, trace);
  }

  private NDArray scaled(NDArray y) {
    return residual == null ? y : y.mul(residual);
  }
}
