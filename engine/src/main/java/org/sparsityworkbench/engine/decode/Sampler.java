package org.sparsityworkbench.engine.decode;

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
    int keep = options.topK() > 0 ? Math.min(options.topK(), v) : v;
    // Only the first `keep` of the order are read: select them rather than sort a large vocabulary.
    int[] order = keep < v ? top(p, keep) : descending(p);
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

  /**
   * The indices of {@code p} by decreasing value, lower index first on ties: a merge sort of
   * primitive indices (it runs once per token: boxing 256 indices for {@code Arrays.sort} cost more
   * than the sort).
   */
  public static int[] descending(double[] p) {
    int n = p.length;
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    int[] b = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        for (int k = lo; k < hi; k++) {
          // Take from the left run unless the right one's head is strictly larger: stable, so
          // equal values keep their (ascending) index order.
          if (i < mid && (j >= hi || p[a[i]] >= p[a[j]])) {
            b[k] = a[i++];
          } else {
            b[k] = a[j++];
          }
        }
      }
      int[] t = a;
      a = b;
      b = t;
    }
    return a;
  }

  /**
   * The first n of {@link #descending}: the n largest values' indices by decreasing value, lower
   * index first on ties, by insertion into a sorted prefix (O(V n) at worst, about O(V) for the few
   * entries a next-token list shows).
   */
  public static int[] top(double[] p, int n) {
    n = Math.min(n, p.length);
    int[] a = new int[n];
    int size = 0;
    for (int i = 0; i < p.length; i++) {
      if (size == n && !(p[i] > p[a[n - 1]])) {
        continue; // not strictly larger than the smallest kept: an earlier index wins the tie
      }
      int j = size < n ? size++ : n - 1;
      while (j > 0 && p[i] > p[a[j - 1]]) {
        a[j] = a[j - 1];
        j--;
      }
      a[j] = i;
    }
    return a;
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
