package org.sparsityworkbench.engine.decode;

/**
 * How the next token is chosen from the logits.
 *
 * @param temperature 0 for greedy (argmax); otherwise logits are divided by it
 * @param topK keep the k most probable tokens (0: all)
 * @param topP keep the smallest set of most probable tokens whose mass reaches p (1: all)
 * @param seed seed of the sampler's random numbers; the same seed gives the same text
 */
public record SamplingOptions(double temperature, int topK, double topP, long seed) {
  /** Validates every field. */
  public SamplingOptions {
    if (!(temperature >= 0) || temperature > 100) {
      throw new IllegalArgumentException("temperature = " + temperature + ": must be in [0, 100]");
    }
    if (topK < 0 || topK > 256) {
      throw new IllegalArgumentException("top-k = " + topK + ": must be in 0..256 (0 = off)");
    }
    if (!(topP > 0) || topP > 1) {
      throw new IllegalArgumentException("top-p = " + topP + ": must be in (0, 1]");
    }
  }

  /** Greedy decoding. */
  public static SamplingOptions greedy() {
    return new SamplingOptions(0, 0, 1, 0);
  }

  /** True when the choice is the argmax. */
  public boolean isGreedy() {
    return temperature == 0;
  }
}
