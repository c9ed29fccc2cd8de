package org.sparsityworkbench.engine.decode;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses tokens from logits in Java (256 values: cheaper than a native call). Greedy takes the
 * argmax (lowest index on ties). Otherwise p = softmax(logits / temperature), restricted to the top
 * k, then to the smallest prefix (by decreasing p) whose mass reaches top-p, renormalised, and
 * sampled with a seeded generator.
 */
public final class Sampler {
  private final SamplingOptions options;
  private final SplittableRandom random;

  public Sampler(SamplingOptions options) {
    this.options = options;
    this.random = new SplittableRandom(options.seed());
  }

  /** The next token. */
  public int sample(float[] logits) {
    if (options.isGreedy()) {
      return argmax(logits);
    }
    int v = logits.length;
    double[] p = softmax(logits, options.temperature());
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
    int keep = options.topK() > 0 ? Math.min(options.topK(), v) : v;
    double mass = 0;
    int n = 0;
    while (n < keep) {
      mass += p[order[n]];
      n++;
      if (mass >= options.topP()) {
        break;
      }
    }
    double u = random.nextDouble() * mass;
    double c = 0;
    for (int i = 0; i < n; i++) {
      c += p[order[i]];
      if (u < c) {
        return order[i];
      }
    }
    return order[n - 1];
  }

  /** Index of the largest value, lowest index on ties. */
  public static int argmax(float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }

  /** softmax(x / temperature) in double precision. */
  public static double[] softmax(float[] x, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (float f : x) {
      max = Math.max(max, f);
    }
    double[] p = new double[x.length];
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      // Subtract the max before dividing: (x - max) / T is 0 or negative, finite or -inf.
      p[i] = Math.exp((x[i] - max) / temperature);
      sum += p[i];
    }
    for (int i = 0; i < x.length; i++) {
      p[i] /= sum;
    }
    return p;
  }
}
