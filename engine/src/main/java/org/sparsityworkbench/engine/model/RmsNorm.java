package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * g. */
public final class RmsNorm {
  private final NDArray weight;
  private final NDArray eps;

  /**
   * @param weight g, the size of the last axis
   * @param eps a scalar array (an op with a Java scalar makes a native one on every call)
   */
  public RmsNorm(NDArray weight, NDArray eps) {
    this.weight = weight;
    this.eps = eps;
  }

  NDArray apply(NDArray x) {
    NDArray ms = x.square().mean(new int[] {-1}, true);
    return x.div(ms.add(eps).sqrt()).mul(weight);
  }
}
