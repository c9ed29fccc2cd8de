package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/** Final norm and the output head: logits = norm(x) W^T (/ logit scale, when it is not 1). */
public final class OutputHead {
  private final RmsNorm norm;
  private final NDArray weight; // (V, d): the embedding table when tied
  private final NDArray inverseScale; // scalar or null

  public OutputHead(RmsNorm norm, NDArray weight, NDArray inverseScale) {
    this.norm = norm;
    this.weight = weight;
    this.inverseScale = inverseScale;
  }

  /** (B, T, d) -> (B, T, V). */
  NDArray forward(NDArray x) {
    NDArray logits = norm.apply(x).matMul(weight.transpose());
    return inverseScale == null ? logits : logits.mul(inverseScale);
  }
}
