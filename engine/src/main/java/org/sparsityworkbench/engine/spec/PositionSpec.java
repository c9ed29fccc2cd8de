package org.sparsityworkbench.engine.spec;

/** How positions enter the model. */
public sealed interface PositionSpec {
  /** A learned (context, d) table added to the token embedding (the native families). */
  record Learned(int context) implements PositionSpec {}

  /**
   * Rotary embedding of queries and keys (Su et al.; Hugging Face's "rotate half" layout): for head
   * dimension h and i in 0..h/2-1, the pair (x_i, x_{i+h/2}) at position p is rotated by the angle
   * p * theta^(-2i/h).
   *
   * @param theta the base ({@code rope_theta})
   */
  record Rotary(double theta) implements PositionSpec {
    public Rotary {
      if (!(theta > 1)) {
        throw new IllegalArgumentException("rope_theta = " + theta + ": must be > 1");
      }
    }
  }
}
