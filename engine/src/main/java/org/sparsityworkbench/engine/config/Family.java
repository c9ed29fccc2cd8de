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
  TOPK("topk");

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
