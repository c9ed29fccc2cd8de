package org.sparsityworkbench.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.model.Router.Routing;

class RouterTest {
  private static final double EPS = 1e-6;
  private static final int UNLIMITED = Integer.MAX_VALUE;

  // Four tokens over E = 2 experts, used by several tests:
  //   t0 [0.7, 0.3]  first choice 0, second 1
  //   t1 [0.6, 0.4]  first choice 0, second 1
  //   t2 [0.8, 0.2]  first choice 0, second 1
  //   t3 [0.1, 0.9]  first choice 1, second 0
  private static final float[] FOUR_BY_TWO = {0.7f, 0.3f, 0.6f, 0.4f, 0.8f, 0.2f, 0.1f, 0.9f};

  // Two tokens over E = 4 experts:
  //   t0 [0.1, 0.6, 0.2, 0.1]  order 1 (0.6), 2 (0.2), then 0 and 3 tie at 0.1 -> 0 first
  //   t1 [0.5, 0.3, 0.1, 0.1]  order 0 (0.5), 1 (0.3), then 2 and 3 tie at 0.1 -> 2 first
  private static final float[] TWO_BY_FOUR = {0.1f, 0.6f, 0.2f, 0.1f, 0.5f, 0.3f, 0.1f, 0.1f};

  private static boolean[][] allKept(int n, int k) {
    boolean[][] b = new boolean[n][k];
    for (boolean[] row : b) {
      java.util.Arrays.fill(row, true);
    }
    return b;
  }

  // ---------------------------------------------------------------------------------------------
  // Choice and gates

  @Test
  void topOneChoosesTheMostProbableExpertAndSwitchGateIsItsProbability() {
    Routing r = Router.route(TWO_BY_FOUR, null, 2, 4, 1, false, UNLIMITED);
    assertArrayEquals(new int[][] {{1}, {0}}, r.experts());
    // Switch: no renormalisation, gate = p[t][e] exactly.
    assertEquals(0.6f, r.gates()[0][0]);
    assertEquals(0.5f, r.gates()[1][0]);
  }

  @Test
  void topOneWithRenormalisationHasGateOne() {
    // Renormalising over a single choice: p / p = 1.
    Routing r = Router.route(TWO_BY_FOUR, null, 2, 4, 1, true, UNLIMITED);
    assertEquals(1f, r.gates()[0][0]);
    assertEquals(1f, r.gates()[1][0]);
  }

  @Test
  void topTwoChoosesTwoLargestInDecreasingOrderAndRenormalisesGates() {
    Routing r = Router.route(TWO_BY_FOUR, null, 2, 4, 2, true, UNLIMITED);
    assertArrayEquals(new int[][] {{1, 2}, {0, 1}}, r.experts());
    // t0: 0.6 / (0.6 + 0.2) = 0.75, 0.2 / 0.8 = 0.25
    assertEquals(0.75f, r.gates()[0][0], EPS);
    assertEquals(0.25f, r.gates()[0][1], EPS);
    // t1: 0.5 / (0.5 + 0.3) = 0.625, 0.3 / 0.8 = 0.375
    assertEquals(0.625f, r.gates()[1][0], EPS);
    assertEquals(0.375f, r.gates()[1][1], EPS);
    for (float[] g : r.gates()) {
      assertEquals(1f, g[0] + g[1], EPS, "renormalised gates sum to 1");
    }
  }

  @Test
  void topTwoWithoutRenormalisationKeepsRawProbabilities() {
    Routing r = Router.route(TWO_BY_FOUR, null, 2, 4, 2, false, UNLIMITED);
    assertArrayEquals(new float[] {0.6f, 0.2f}, r.gates()[0]);
    assertArrayEquals(new float[] {0.5f, 0.3f}, r.gates()[1]);
  }

  @Test
  void tiesGoToTheLowerIndex() {
    // Uniform row: every expert ties, so the order is 0, 1, 2, 3.
    float[] uniform = {0.25f, 0.25f, 0.25f, 0.25f};
    assertArrayEquals(
        new int[][] {{0, 1, 2, 3}},
        Router.route(uniform, null, 1, 4, 4, true, UNLIMITED).experts());
    // [0.1, 0.4, 0.1, 0.4]: 1 and 3 tie for first -> 1, 3; then 0 and 2 tie -> 0, 2.
    float[] pairs = {0.1f, 0.4f, 0.1f, 0.4f};
    assertArrayEquals(
        new int[][] {{1, 3, 0, 2}}, Router.route(pairs, null, 1, 4, 4, false, UNLIMITED).experts());
    assertArrayEquals(new int[] {1}, Router.topK(pairs, 0, 4, 1));
    // Renormalised tied gates: 0.4 / (0.4 + 0.4) = 0.5 each.
    Routing r = Router.route(pairs, null, 1, 4, 2, true, UNLIMITED);
    assertArrayEquals(new float[] {0.5f, 0.5f}, r.gates()[0]);
  }

  @Test
  void topKReadsTheRowAtItsOffset() {
    // Row 1 of TWO_BY_FOUR starts at offset 4: [0.5, 0.3, 0.1, 0.1] -> 0, 1, 2 (2 beats 3 on tie).
    assertArrayEquals(new int[] {0, 1, 2}, Router.topK(TWO_BY_FOUR, 4, 4, 3));
  }

  @Test
  void rejectsWrongProbabilityCountAndKOutOfRange() {
    IllegalArgumentException size =
        assertThrows(
            IllegalArgumentException.class,
            () -> Router.route(new float[7], null, 2, 4, 1, false, UNLIMITED));
    assertTrue(size.getMessage().contains("expected 8"), size.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Router.route(TWO_BY_FOUR, null, 2, 4, 0, false, UNLIMITED));
    assertThrows(
        IllegalArgumentException.class,
        () -> Router.route(TWO_BY_FOUR, null, 2, 4, 5, false, UNLIMITED));
  }

  // ---------------------------------------------------------------------------------------------
  // Capacity and drops

  @Test
  void capacityIsCeilOfFactorTimesTokensTimesKOverExperts() {
    assertEquals(3, Router.capacity(1.25, 8, 1, 4)); // 1.25 * 8 * 1 / 4 = 2.5 -> 3
    assertEquals(4, Router.capacity(1.0, 8, 2, 4)); // 1.0 * 8 * 2 / 4 = 4 exactly -> 4
    assertEquals(2, Router.capacity(1.0, 3, 1, 2)); // 1.5 -> 2
    assertEquals(1, Router.capacity(0.25, 16, 1, 4)); // 0.25 * 16 / 4 = 1 -> 1
    assertEquals(1, Router.capacity(2.0, 1, 1, 8)); // 2 / 8 = 0.25 -> 1
    assertEquals(5, Router.capacity(2.0, 5, 2, 4)); // 2 * 5 * 2 / 4 = 5 -> 5
    assertEquals(2, Router.capacity(0.5, 4, 2, 2)); // 0.5 * 4 * 2 / 2 = 2 -> 2
    assertEquals(0, Router.capacity(1.0, 0, 1, 4)); // no tokens: ceil(0) = 0
  }

  @Test
  void capacityFactorZeroIsUnlimited() {
    assertEquals(UNLIMITED, Router.capacity(0, 16, 2, 4));
    assertEquals(UNLIMITED, Router.capacity(0, 1_000_000, 8, 2));
    assertEquals(UNLIMITED, Router.capacity(-1, 16, 2, 4), "negative also means no limit");
  }

  @Test
  void capacityOfAnExactMultipleIsNotRoundedUpByFloatingPointError() {
    assertEquals(5, Router.capacity(1.1, 50, 1, 11)); // 1.1 * 50 * 1 / 11 = 5 exactly
    assertEquals(11, Router.capacity(1.1, 25, 2, 5)); // 1.1 * 25 * 2 / 5 = 11 exactly
  }

  @Test
  void unlimitedCapacityDropsNothingEvenWhenEveryTokenChoosesOneExpert() {
    float[] probs = new float[8 * 4];
    for (int t = 0; t < 8; t++) {
      probs[t * 4] = 1f; // every token one-hot on expert 0
    }
    Routing r = Router.route(probs, null, 8, 4, 1, false, Router.capacity(0, 8, 1, 4));
    assertEquals(UNLIMITED, r.capacity());
    assertArrayEquals(new int[] {8, 0, 0, 0}, r.load());
    assertEquals(0, r.dropped());
    assertEquals(0, r.droppedTokens());
    assertArrayEquals(allKept(8, 1), r.kept());
  }

  @Test
  void topOneDropsLaterTokensOnceAnExpertIsFull() {
    // 5 tokens all prefer expert 0 of 2. C = ceil(1.0 * 5 * 1 / 2) = ceil(2.5) = 3.
    float[] probs = {0.9f, 0.1f, 0.8f, 0.2f, 0.7f, 0.3f, 0.6f, 0.4f, 0.55f, 0.45f};
    int c = Router.capacity(1.0, 5, 1, 2);
    assertEquals(3, c);
    Routing r = Router.route(probs, null, 5, 2, 1, false, c);
    // t0, t1, t2 fill expert 0; t3 and t4 are dropped (token order, not probability order).
    assertArrayEquals(new boolean[][] {{true}, {true}, {true}, {false}, {false}}, r.kept());
    assertArrayEquals(new int[] {3, 0}, r.load());
    assertEquals(2, r.dropped());
    assertEquals(2, r.droppedTokens(), "top-1: each dropped assignment is a dropped token");
    assertEquals(3, r.capacity());
  }

  @Test
  void topTwoAcceptsAllFirstChoicesInTokenOrderBeforeAnySecondChoice() {
    // FOUR_BY_TWO, k = 2, C = ceil(0.5 * 4 * 2 / 2) = 2.
    int c = Router.capacity(0.5, 4, 2, 2);
    assertEquals(2, c);
    Routing r = Router.route(FOUR_BY_TWO, null, 4, 2, 2, true, c);
    assertArrayEquals(new int[][] {{0, 1}, {0, 1}, {0, 1}, {1, 0}}, r.experts());
    // Pass 1, first choices in token order:
    //   t0 -> e0 (load 1), t1 -> e0 (load 2), t2 -> e0 full: DROP, t3 -> e1 (load 1)
    // Pass 2, second choices in token order:
    //   t0 -> e1 (load 2), t1 -> e1 full: DROP, t2 -> e1 full: DROP, t3 -> e0 full: DROP
    // (Token-major order would instead have filled e1 with t0 and t1 and dropped all of t3.)
    assertArrayEquals(
        new boolean[][] {{true, true}, {true, false}, {false, false}, {true, false}}, r.kept());
    assertArrayEquals(new int[] {2, 2}, r.load());
    assertEquals(4, r.dropped());
    assertEquals(1, r.droppedTokens(), "only t2 lost every assignment");
  }

  @Test
  void nothingIsDroppedWhenCapacityIsLargeEnough() {
    // C = ceil(1.0 * 4 * 2 / 2) = 4: each expert holds all 4 tokens.
    Routing r = Router.route(FOUR_BY_TWO, null, 4, 2, 2, true, Router.capacity(1.0, 4, 2, 2));
    assertEquals(4, r.capacity());
    assertArrayEquals(new int[] {4, 4}, r.load());
    assertEquals(0, r.dropped());
    assertEquals(0, r.droppedTokens());
    assertArrayEquals(allKept(4, 2), r.kept());
  }

  @Test
  void zeroCapacityDropsEverything() {
    Routing r = Router.route(FOUR_BY_TWO, null, 4, 2, 2, true, 0);
    assertEquals(8, r.dropped());
    assertEquals(4, r.droppedTokens());
    assertArrayEquals(new int[] {0, 0}, r.load());
  }

  // ---------------------------------------------------------------------------------------------
  // Load-balancing loss

  @Test
  void auxLossTopOneByHand() {
    // FOUR_BY_TWO, k = 1: choices 0, 0, 0, 1 -> f = [3/4, 1/4]
    // P_0 = (0.7 + 0.6 + 0.8 + 0.1) / 4 = 2.2 / 4 = 0.55, P_1 = (0.3 + 0.4 + 0.2 + 0.9) / 4 = 0.45
    // aux = E * sum f_e P_e = 2 * (0.75 * 0.55 + 0.25 * 0.45) = 2 * (0.4125 + 0.1125) = 1.05
    Routing r = Router.route(FOUR_BY_TWO, null, 4, 2, 1, false, UNLIMITED);
    assertEquals(1.05, r.auxLoss(), EPS);
  }

  @Test
  void auxLossCountsAssignmentsBeforeCapacityDrops() {
    // Same routing with C = 1: t1 and t2 are dropped, but f still counts them -> 1.05.
    Routing r = Router.route(FOUR_BY_TWO, null, 4, 2, 1, false, 1);
    assertEquals(2, r.dropped());
    assertEquals(1.05, r.auxLoss(), EPS);
  }

  @Test
  void auxLossTopTwoByHand() {
    // TWO_BY_FOUR, k = 2: t0 -> {1, 2}, t1 -> {0, 1}; N * k = 4 assignments
    // f = [1/4, 2/4, 1/4, 0]
    // P = [(0.1 + 0.5) / 2, (0.6 + 0.3) / 2, (0.2 + 0.1) / 2, (0.1 + 0.1) / 2]
    //   = [0.3, 0.45, 0.15, 0.1]
    // sum f P = 0.25 * 0.3 + 0.5 * 0.45 + 0.25 * 0.15 + 0 * 0.1 = 0.075 + 0.225 + 0.0375 = 0.3375
    // aux = 4 * 0.3375 = 1.35
    Routing r = Router.route(TWO_BY_FOUR, null, 2, 4, 2, true, UNLIMITED);
    assertEquals(1.35, r.auxLoss(), EPS);
    assertEquals(1.35, Router.auxLoss(TWO_BY_FOUR, r.experts(), 2, 4), EPS);
  }

  @Test
  void perfectlyBalancedUniformRoutingGivesExactlyOne() {
    // 4 tokens, 4 experts, every p = 0.25, token t assigned to expert t:
    // f_e = 1/4, P_e = 1/4, aux = 4 * 4 * (1/4 * 1/4) = 1 (all values exact in binary).
    float[] uniform = new float[16];
    java.util.Arrays.fill(uniform, 0.25f);
    int[][] balanced = {{0}, {1}, {2}, {3}};
    assertEquals(1.0, Router.auxLoss(uniform, balanced, 4, 4), 0.0);
    // One-hot rows on distinct experts are balanced too: f_e = P_e = 1/4 -> 1.
    float[] oneHot = new float[16];
    for (int t = 0; t < 4; t++) {
      oneHot[t * 4 + t] = 1f;
    }
    Routing r = Router.route(oneHot, null, 4, 4, 1, false, UNLIMITED);
    assertArrayEquals(balanced, r.experts());
    assertEquals(1.0, r.auxLoss(), 0.0);
  }

  @Test
  void collapsedRoutingGivesAuxLossOfE() {
    // Every token one-hot on expert 0: f = [1, 0, 0, 0], P = [1, 0, 0, 0], aux = 4 * 1 * 1 = 4.
    float[] probs = new float[12];
    for (int t = 0; t < 3; t++) {
      probs[t * 4] = 1f;
    }
    assertEquals(4.0, Router.route(probs, null, 3, 4, 1, false, UNLIMITED).auxLoss(), 0.0);
  }

  @Test
  void auxLossOfNoTokensIsZero() {
    assertEquals(0.0, Router.auxLoss(new float[0], new int[0][], 0, 4), 0.0);
  }

  // ---------------------------------------------------------------------------------------------
  // z-loss and entropy

  @Test
  void zLossIsMeanSquaredLogSumExpByHand() {
    // t0 logits [0, 0]: lse = ln(e^0 + e^0) = ln 2 = 0.69314718; squared 0.48045301
    // t1 logits [1, 1]: lse = ln(2e) = 1 + ln 2 = 1.69314718; squared 1 + 2 ln 2 + (ln 2)^2
    //                                                        = 2.86674737
    // mean = (0.48045301 + 2.86674737) / 2 = 1.67360019
    float[] logits = {0f, 0f, 1f, 1f};
    double ln2 = Math.log(2);
    double want = (ln2 * ln2 + (1 + ln2) * (1 + ln2)) / 2;
    assertEquals(1.67360019, want, 1e-8);
    assertEquals(want, Router.zLoss(logits, 2, 2), 1e-12);
    // Through route(): probabilities softmax([0, 0]) = softmax([1, 1]) = [0.5, 0.5].
    float[] probs = {0.5f, 0.5f, 0.5f, 0.5f};
    assertEquals(want, Router.route(probs, logits, 2, 2, 1, false, UNLIMITED).zLoss(), 1e-12);
  }

  @Test
  void zLossOfUnequalLogitsByHand() {
    // logits [ln 1, ln 2, ln 3] (one token): lse = ln(1 + 2 + 3) = ln 6 = 1.79175947; squared
    // 3.21040199
    float[] logits = {0f, (float) Math.log(2), (float) Math.log(3)};
    assertEquals(3.21040199, Router.zLoss(logits, 1, 3), 1e-6);
  }

  @Test
  void zLossDoesNotOverflowForLargeLogits() {
    // lse([1000, 1000]) = 1000 + ln 2; squared = 10^6 + 2000 ln 2 + (ln 2)^2 = 1001386.7748
    double ln2 = Math.log(2);
    assertEquals((1000 + ln2) * (1000 + ln2), Router.zLoss(new float[] {1000f, 1000f}, 1, 2), 1e-6);
    assertEquals(1001386.7748, Router.zLoss(new float[] {1000f, 1000f}, 1, 2), 1e-3);
  }

  @Test
  void zLossIsNaNWithoutLogitsAndZeroWithoutTokens() {
    assertTrue(Double.isNaN(Router.route(TWO_BY_FOUR, null, 2, 4, 1, false, UNLIMITED).zLoss()));
    assertEquals(0.0, Router.zLoss(new float[0], 0, 4), 0.0);
  }

  @Test
  void entropyOfUniformIsLnE() {
    for (int e : new int[] {2, 4, 8, 256}) {
      float[] p = new float[e];
      java.util.Arrays.fill(p, 1f / e);
      assertEquals(Math.log(e), Router.entropy(p, 0, e), 1e-6, "E = " + e);
    }
  }

  @Test
  void entropyOfOneHotIsZeroAndOfHalfHalfIsLnTwo() {
    assertEquals(0.0, Router.entropy(new float[] {0f, 1f, 0f, 0f}, 0, 4), 0.0);
    // Row 1 of [[1, 0, 0, 0], [0.5, 0, 0.5, 0]]: -2 * 0.5 ln 0.5 = ln 2
    float[] rows = {1f, 0f, 0f, 0f, 0.5f, 0f, 0.5f, 0f};
    assertEquals(Math.log(2), Router.entropy(rows, 4, 4), 1e-12);
  }

  @Test
  void rowCopiesOneTokensProbabilities() {
    float[] r = Router.row(TWO_BY_FOUR, 1, 4);
    assertArrayEquals(new float[] {0.5f, 0.3f, 0.1f, 0.1f}, r);
    r[0] = 9f;
    assertEquals(0.5f, TWO_BY_FOUR[4], "a copy, not a view");
  }
}
