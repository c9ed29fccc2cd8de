package org.sparsityworkbench.engine.spec;

import java.util.Objects;

/**
 * One pre-norm block: x += r * attention(norm(x)); x += r * feedForward(norm(x)), r the residual
 * multiplier (1 except Granite's {@code residual_multiplier}).
 */
public record BlockSpec(AttentionSpec attention, FeedForwardSpec feedForward, double residual) {
  public BlockSpec {
    Objects.requireNonNull(attention);
    Objects.requireNonNull(feedForward);
  }
}
