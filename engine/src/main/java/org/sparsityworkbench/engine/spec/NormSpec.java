package org.sparsityworkbench.engine.spec;

/** Normalisation of the residual stream before each sub-layer and at the end. */
public sealed interface NormSpec {
  /** RMSNorm: x / sqrt(mean(x^2) + eps) * g. */
  record RmsNorm(double eps) implements NormSpec {
    public RmsNorm {
      if (!(eps > 0 && eps < 1)) {
        throw new IllegalArgumentException("norm eps = " + eps + ": must be in (0, 1)");
      }
    }
  }
}
