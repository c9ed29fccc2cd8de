package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * y = x W + b for W stored (in, out) (the native families), or y = x W^T + b for W stored (out, in)
 * (Hugging Face's nn.Linear); the transposed view is made once, at binding.
 */
public final class Linear {
  private final NDArray w;
  private final NDArray bias;

  private Linear(NDArray w, NDArray bias) {
    this.w = w;
    this.bias = bias;
  }

  /** W stored (in, out). */
  public static Linear inOut(NDArray w) {
    return new Linear(w, null);
  }

  /** W stored (out, in), with an optional bias (out). */
  public static Linear outIn(NDArray w, NDArray bias) {
    return new Linear(w.transpose(), bias);
  }

  NDArray apply(NDArray x) {
    NDArray y = x.matMul(w);
    return bias == null ? y : y.add(bias);
  }
}
