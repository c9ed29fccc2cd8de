package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SamplerTest {
  /** Logits whose softmax at temperature 1 is [1/6, 2/6, 3/6]: exp(ln i) / (1 + 2 + 3). */
  private static final float[] ONE_TWO_THREE = {0f, (float) Math.log(2), (float) Math.log(3)};

  private static float[] randomLogits(Random r, int v) {
    float[] x = new float[v];
    for (int i = 0; i < v; i++) {
      x[i] = (float) (r.nextGaussian() * 3);
    }
    return x;
  }

  /** Frequencies of each token over many draws. */
  private static double[] frequencies(SamplingOptions o, float[] logits, int draws) {
    Sampler s = new Sampler(o);
    double[] f = new double[logits.length];
    for (int i = 0; i < draws; i++) {
      f[s.sample(logits)] += 1.0 / draws;
    }
    return f;
  }

  private static int[] draws(SamplingOptions o, int n) {
    Sampler s = new Sampler(o);
    Random r = new Random(3);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = s.sample(randomLogits(r, 256));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Greedy

  @Test
  void greedyTakesTheArgmax() {
    Sampler s = new Sampler(SamplingOptions.greedy());
    assertEquals(1, s.sample(new float[] {0.1f, 3f, -2f, 2.9f}));
    assertEquals(2, s.sample(new float[] {-5f, -4f, -1f, -3f}), "all negative");
    assertEquals(0, s.sample(new float[] {7f}));
    Random r = new Random(1);
    for (int i = 0; i < 100; i++) {
      float[] x = randomLogits(r, 256);
      int best = 0;
      for (int j = 1; j < x.length; j++) {
        if (x[j] > x[best]) {
          best = j;
        }
      }
      assertEquals(best, s.sample(x));
      assertEquals(best, Sampler.argmax(x));
    }
  }

  @Test
  void greedyBreaksTiesToTheLowestIndex() {
    Sampler s = new Sampler(SamplingOptions.greedy());
    assertEquals(1, s.sample(new float[] {1f, 5f, 5f, 2f}));
    assertEquals(0, s.sample(new float[] {3f, 3f, 3f}));
    assertEquals(0, Sampler.argmax(new float[256]), "all zero");
    assertEquals(2, Sampler.argmax(new float[] {1f, 2f, 9f, 9f, 9f}));
  }

  @Test
  void greedyOptionsAreGreedyWhateverTheSeedOrFilters() {
    assertTrue(SamplingOptions.greedy().isGreedy());
    assertFalse(new SamplingOptions(0.7, 0, 1, 0).isGreedy());
    SamplingOptions a = new SamplingOptions(0, 5, 0.9, 1);
    SamplingOptions b = new SamplingOptions(0, 0, 1, 999);
    assertTrue(a.isGreedy());
    assertArrayEquals(draws(a, 50), draws(b, 50));
  }

  // ---------------------------------------------------------------------------------------------
  // Filters that leave one token behave like greedy

  @ParameterizedTest
  @ValueSource(doubles = {0.01, 0.5, 1.0, 2.0, 10.0, 100.0})
  void topKOneEqualsGreedyAtAnyTemperature(double temperature) {
    Sampler s = new Sampler(new SamplingOptions(temperature, 1, 1, 17));
    Random r = new Random(2);
    for (int i = 0; i < 100; i++) {
      float[] x = randomLogits(r, 256);
      assertEquals(Sampler.argmax(x), s.sample(x));
    }
    assertEquals(1, s.sample(new float[] {1f, 5f, 5f, 2f}), "ties to the lowest index");
    assertEquals(0, s.sample(new float[] {0f, 0f, 0f}), "ties to the lowest index");
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.5, 1.0, 5.0, 100.0})
  void tinyTopPEqualsGreedy(double temperature) {
    Sampler s = new Sampler(new SamplingOptions(temperature, 0, 1e-9, 23));
    Random r = new Random(4);
    for (int i = 0; i < 100; i++) {
      float[] x = randomLogits(r, 256);
      assertEquals(Sampler.argmax(x), s.sample(x));
    }
    assertEquals(2, s.sample(new float[] {1f, 4f, 4.0001f, 4f}));
    assertEquals(1, s.sample(new float[] {1f, 5f, 5f, 2f}), "ties to the lowest index");
  }

  @Test
  void descendingOrderEqualsTheBoxedComparatorSortIncludingTies() {
    Random r = new Random(8);
    for (int n : new int[] {0, 1, 2, 3, 7, 64, 255, 256, 1000}) {
      for (int rep = 0; rep < 20; rep++) {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
          // Few distinct values, so that ties are common.
          p[i] = rep % 2 == 0 ? r.nextInt(5) : r.nextDouble();
        }
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
          boxed[i] = i;
        }
        java.util.Arrays.sort(
            boxed, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int[] expected = java.util.Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
        assertArrayEquals(expected, Sampler.descending(p), "n=" + n + " rep=" + rep);
      }
    }
  }

  @Test
  void vanishingTemperatureApproachesGreedy() {
    Sampler s = new Sampler(new SamplingOptions(Double.MIN_VALUE, 0, 1, 5));
    for (int i = 0; i < 20; i++) {
      assertEquals(1, s.sample(new float[] {1f, 3f, 2f}));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Seeds

  @Test
  void sameSeedGivesTheSameSequence() {
    SamplingOptions o = new SamplingOptions(1.0, 0, 1, 42);
    int[] a = draws(o, 200);
    assertArrayEquals(a, draws(o, 200));
    assertArrayEquals(
        draws(new SamplingOptions(0.8, 40, 0.95, 7), 200),
        draws(new SamplingOptions(0.8, 40, 0.95, 7), 200));
  }

  @Test
  void differentSeedGivesADifferentSequence() {
    int[] a = draws(new SamplingOptions(1.0, 0, 1, 42), 200);
    int[] b = draws(new SamplingOptions(1.0, 0, 1, 43), 200);
    assertFalse(java.util.Arrays.equals(a, b));
    int distinct = (int) java.util.Arrays.stream(a).distinct().count();
    assertTrue(distinct > 20, "sampling, not a constant: " + distinct + " distinct tokens");
  }

  // ---------------------------------------------------------------------------------------------
  // Distribution

  @Test
  void sampledFrequenciesMatchSoftmaxProbabilities() {
    // softmax([ln 1, ln 2, ln 3]) = [1, 2, 3] / 6; 60000 draws, standard error <= 0.002.
    double[] f = frequencies(new SamplingOptions(1.0, 0, 1, 12345), ONE_TWO_THREE, 60_000);
    assertArrayEquals(new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, f, 0.01);
  }

  @Test
  void temperatureDividesTheLogits() {
    // [0, ln 4] / 2 = [0, ln 2] -> softmax [1/3, 2/3].
    float[] logits = {0f, (float) Math.log(4)};
    assertArrayEquals(new double[] {1 / 3.0, 2 / 3.0}, Sampler.softmax(logits, 2.0), 1e-7);
    double[] f = frequencies(new SamplingOptions(2.0, 0, 1, 99), logits, 60_000);
    assertArrayEquals(new double[] {1 / 3.0, 2 / 3.0}, f, 0.01);
  }

  @Test
  void topKRestrictsToTheKMostProbableAndRenormalises() {
    // Top-2 of [1, 2, 3] / 6 keeps tokens 2 and 1: [0, 2/5, 3/5].
    double[] f = frequencies(new SamplingOptions(1.0, 2, 1, 5), ONE_TWO_THREE, 60_000);
    assertEquals(0.0, f[0], 0.0, "token 0 is outside the top 2");
    assertArrayEquals(new double[] {0, 0.4, 0.6}, f, 0.01);
  }

  @Test
  void topPKeepsTheSmallestPrefixReachingTheMass() {
    // Sorted p: 1/2 (token 2), 1/3 (token 1), 1/6 (token 0).
    // top-p 0.4: 1/2 >= 0.4 already -> only token 2.
    double[] one = frequencies(new SamplingOptions(1.0, 0, 0.4, 5), ONE_TWO_THREE, 2_000);
    assertArrayEquals(new double[] {0, 0, 1}, one, 1e-9);
    // top-p 0.6: 1/2 < 0.6, 1/2 + 1/3 >= 0.6 -> tokens 2 and 1 renormalised: [0, 2/5, 3/5].
    double[] two = frequencies(new SamplingOptions(1.0, 0, 0.6, 5), ONE_TWO_THREE, 60_000);
    assertEquals(0.0, two[0], 0.0);
    assertArrayEquals(new double[] {0, 0.4, 0.6}, two, 0.01);
    // top-p 1 keeps everything.
    double[] all = frequencies(new SamplingOptions(1.0, 0, 1, 5), ONE_TWO_THREE, 60_000);
    assertTrue(all[0] > 0.1, "token 0 still sampled: " + all[0]);
  }

  @Test
  void topKLargerThanTheVocabularyKeepsEverything() {
    double[] f = frequencies(new SamplingOptions(1.0, 256, 1, 8), ONE_TWO_THREE, 60_000);
    assertArrayEquals(new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, f, 0.01);
  }

  @Test
  void softmaxIsNormalisedAndStableForLargeLogits() {
    assertArrayEquals(
        new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, Sampler.softmax(ONE_TWO_THREE, 1.0), 1e-7);
    assertArrayEquals(
        new double[] {0.5, 0.5}, Sampler.softmax(new float[] {1000f, 1000f}, 1.0), 0.0);
    double[] p = Sampler.softmax(new float[] {-1e30f, 0f, 80f}, 0.5);
    assertEquals(1.0, p[0] + p[1] + p[2], 1e-12);
    assertEquals(0.0, p[0], 0.0);
    assertEquals(1.0, p[2], 1e-12);
    // A masked (-inf) token has probability 0 and is never sampled.
    float[] masked = {Float.NEGATIVE_INFINITY, 0f, 0f};
    assertEquals(0.0, Sampler.softmax(masked, 1.0)[0], 0.0);
    Sampler s = new Sampler(new SamplingOptions(1.0, 0, 1, 3));
    for (int i = 0; i < 1000; i++) {
      assertNotEquals(0, s.sample(masked));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Options

  @ParameterizedTest
  @ValueSource(doubles = {-0.1, -1, 100.5, Double.NaN, Double.POSITIVE_INFINITY})
  void rejectsInvalidTemperatureNamingIt(double t) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(t, 0, 1, 0));
    assertTrue(e.getMessage().contains("temperature"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -0.5, 1.0001, Double.NaN})
  void rejectsInvalidTopPNamingIt(double p) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1, 0, p, 0));
    assertTrue(e.getMessage().contains("top-p"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {300, 257, -1, Integer.MIN_VALUE})
  void rejectsInvalidTopKNamingIt(int k) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1, k, 1, 0));
    assertTrue(e.getMessage().contains("top-k"), e.getMessage());
  }

  @Test
  void acceptsBoundaryOptions() {
    assertDoesNotThrow(() -> new SamplingOptions(0, 0, 1, Long.MIN_VALUE));
    assertDoesNotThrow(() -> new SamplingOptions(100, 256, 1e-12, -1));
    assertDoesNotThrow(() -> new SamplingOptions(1e-9, 1, 1, 0));
  }
}
