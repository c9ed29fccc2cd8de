package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Selecting the top n equals the first n of the full descending order, ties included. */
class SamplerTopTest {
  @Test
  void topEqualsThePrefixOfTheDescendingOrderWithTies() {
    Random r = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int v = 1 + r.nextInt(600);
      double[] p = new double[v];
      for (int i = 0; i < v; i++) {
        p[i] = r.nextInt(12) / 12.0; // many exact ties
      }
      int n = 1 + r.nextInt(Math.min(v, 40));
      assertArrayEquals(
          Arrays.copyOf(Sampler.descending(p), n), Sampler.top(p, n), "v=" + v + " n=" + n);
    }
  }

  @Test
  void sampledTokensAreUnchangedWithTopK() {
    Random r = new Random(5);
    float[] logits = new float[3000];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) r.nextGaussian() * 3;
    }
    SamplingOptions o = new SamplingOptions(0.9, 40, 0.95, 11);
    Sampler fast = new Sampler(o);
    // The reference: the full sort, as the sampler chose before selection replaced it.
    double[] p = Sampler.softmax(logits, 0.9);
    int[] order = Sampler.descending(p);
    java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
    for (int step = 0; step < 50; step++) {
      double mass = 0;
      int k = 0;
      while (k < 40) {
        mass += p[order[k]];
        k++;
        if (mass >= 0.95) {
          break;
        }
      }
      double u = rng.nextDouble() * mass;
      double c = 0;
      int expected = order[k - 1];
      for (int i = 0; i < k; i++) {
        c += p[order[i]];
        if (u < c) {
          expected = order[i];
          break;
        }
      }
      assertArrayEquals(new int[] {expected}, new int[] {fast.sample(logits)}, "step " + step);
    }
  }
}
