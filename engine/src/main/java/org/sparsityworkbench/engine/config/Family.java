package org.sparsityworkbench.engine.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The model families the engine decodes; the {@code family} field of {@code config.json}. */
public enum Family {
  /** Dense baseline: every token uses the whole feed-forward. */
  DENSE("dense"),
  /** Mixture of experts with a Switch (top-1) router. */
  SWITCH("switch"),
  /** Mixture of experts with a top-k router, gates renormalised over the chosen k. */
  TOPK("topk"),
  /** Scaling Transformers sparse feed-forward: a controller picks one unit per block. */
  SPARSE_FF("sparse-ff"),
  /** Scaling Transformers sparse QKV (multiplicative dense + convolution) with a dense FF. */
  SPARSE_QKV("sparse-qkv"),
  /** Scaling Transformers sparse feed-forward and sparse QKV together. */
  SPARSE_FFQKV("sparse-ffqkv");

  private final String id;

  Family(String id) {
    this.id = id;
  }

  /** The name used in {@code config.json} and on the command line. */
  public String id() {
    return id;
  }

  /** True for the mixture-of-experts families, whose feed-forward is a routed set of experts. */
  public boolean isMoe() {
    return this == SWITCH || this == TOPK;
  }

  /** True when the feed-forward is the controller-driven sparse feed-forward. */
  public boolean hasSparseFf() {
    return this == SPARSE_FF || this == SPARSE_FFQKV;
  }

  /** True when Q, K and V come from the multiplicative-convolutional sparse QKV layer. */
  public boolean hasSparseQkv() {
    return this == SPARSE_QKV || this == SPARSE_FFQKV;
  }

  /**
   * Parses a family name.
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static Family parse(String id) {
    for (Family f : values()) {
      if (f.id.equals(id)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown family '"
            + id
            + "' (expected one of: "
            + Arrays.stream(values()).map(Family::id).collect(Collectors.joining(", "))
            + ")");
  }

  @Override
  public String toString() {
    return id;
  }
}
