package org.sparsityworkbench.engine.model;

import java.util.Arrays;

/**
 * Routing decisions of a mixture-of-experts layer, computed from the router's probabilities. Pure
 * Java so that every number the GUI shows can be checked by hand.
 *
 * <p>For N tokens and E experts with probabilities p[t][e] = softmax(logits[t])[e]:
 *
 * <ul>
 *   <li>choice: the k experts of largest probability, ties to the lower index;
 *   <li>gates: Switch (no renormalisation) uses p[t][e]; top-k renormalises over the chosen k,
 *       g[t][j] = p[t][e_j] / sum_j' p[t][e_j'] (Mixtral);
 *   <li>capacity C = ceil(capacity_factor * N * k / E) (unlimited when capacity_factor is 0);
 *       assignments are accepted in priority order, first every token's first choice in token
 *       order, then every token's second choice, and so on; an assignment to an expert that already
 *       holds C is dropped, and a token whose every assignment is dropped passes through the
 *       residual only;
 *   <li>load-balancing loss (Switch eq. 4-6, generalised to k): aux = E * sum_e f_e * P_e, f_e the
 *       fraction of the N*k assignments (before drops) that chose e, P_e the mean of p[t][e];
 *   <li>z-loss (ST-MoE): z = mean_t (logsumexp_e logits[t][e])^2.
 * </ul>
 */
public final class Router {
  private Router() {}

  /**
   * Routing of N tokens.
   *
   * @param experts chosen experts, [N][k], in order of decreasing probability
   * @param gates gate weights, [N][k]
   * @param kept whether each assignment survived the capacity limit, [N][k]
   * @param load assignments kept per expert, [E]
   * @param capacity the per-expert capacity (Integer.MAX_VALUE when unlimited)
   * @param dropped number of assignments dropped
   * @param droppedTokens number of tokens with every assignment dropped
   * @param auxLoss load-balancing loss
   * @param zLoss router z-loss (NaN when no logits were given)
   */
  public record Routing(
      int[][] experts,
      float[][] gates,
      boolean[][] kept,
      int[] load,
      int capacity,
      int dropped,
      int droppedTokens,
      double auxLoss,
      double zLoss) {}

  /** Per-expert capacity for n tokens; Integer.MAX_VALUE when capacityFactor is 0 (no limit). */
  public static int capacity(double capacityFactor, int n, int k, int e) {
    if (capacityFactor <= 0) {
      return Integer.MAX_VALUE;
    }
    // In decimal, so that ceil(1.1 * 50 / 11) is 5 as on paper, not 6 from 55.00000000000001.
    return java.math.BigDecimal.valueOf(capacityFactor)
        .multiply(java.math.BigDecimal.valueOf((long) n * k))
        .divide(java.math.BigDecimal.valueOf(e), 0, java.math.RoundingMode.CEILING)
        .min(java.math.BigDecimal.valueOf(Integer.MAX_VALUE))
        .intValueExact();
  }

  /**
   * Routes N tokens.
   *
   * @param probs row-major [N][E] probabilities (each row sums to 1)
   * @param logits row-major [N][E] router logits, for the z-loss; may be null
   * @param renormalise true for top-k gates (renormalised over the chosen k), false for Switch
   * @param capacity per-expert capacity (see {@link #capacity})
   */
  public static Routing route(
      float[] probs, float[] logits, int n, int e, int k, boolean renormalise, int capacity) {
    return route(probs, logits, n, e, k, renormalise, capacity, null, null);
  }

  /**
   * Routes N tokens under interventions: the forced experts are every token's first choices (in the
   * order given), the rest of the k are the largest probabilities among the experts neither forced
   * nor banned; gates, capacity and losses as without.
   *
   * @param banned experts never chosen, [E], or null
   * @param forced experts always chosen, at most k, or null
   */
  public static Routing route(
      float[] probs,
      float[] logits,
      int n,
      int e,
      int k,
      boolean renormalise,
      int capacity,
      boolean[] banned,
      int[] forced) {
    if (probs.length != n * e) {
      throw new IllegalArgumentException(
          "probs has " + probs.length + " values, expected " + n * e);
    }
    if (k < 1 || k > e) {
      throw new IllegalArgumentException("k = " + k + " must be in 1.." + e);
    }
    int[][] experts = new int[n][];
    float[][] gates = new float[n][k];
    boolean[][] kept = new boolean[n][k];
    int fixed = forced == null ? 0 : forced.length;
    if (fixed > k) {
      throw new IllegalArgumentException(fixed + " forced experts exceed k = " + k);
    }
    for (int t = 0; t < n; t++) {
      experts[t] =
          banned == null && fixed == 0
              ? topK(probs, t * e, e, k)
              : choose(probs, t * e, e, k, banned, forced);
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += probs[t * e + experts[t][j]];
      }
      for (int j = 0; j < k; j++) {
        float p = probs[t * e + experts[t][j]];
        // Renormalised over the chosen; evenly when every chosen one has probability 0 (only
        // possible when an intervention bans every expert the router wanted).
        gates[t][j] = renormalise ? (float) (sum > 0 ? p / sum : 1.0 / k) : p;
      }
    }
    int[] load = new int[e];
    int dropped = 0;
    for (int j = 0; j < k; j++) {
      for (int t = 0; t < n; t++) {
        int x = experts[t][j];
        if (load[x] < capacity) {
          load[x]++;
          kept[t][j] = true;
        } else {
          dropped++;
        }
      }
    }
    int droppedTokens = 0;
    for (int t = 0; t < n; t++) {
      boolean any = false;
      for (int j = 0; j < k; j++) {
        any |= kept[t][j];
      }
      if (!any) {
        droppedTokens++;
      }
    }
    return new Routing(
        experts,
        gates,
        kept,
        load,
        capacity,
        dropped,
        droppedTokens,
        auxLoss(probs, experts, n, e),
        logits == null ? Double.NaN : zLoss(logits, n, e));
  }

  /** The forced experts, then the largest of the others that are not banned, ties to the lower. */
  static int[] choose(float[] v, int off, int e, int k, boolean[] banned, int[] forced) {
    int[] idx = new int[k];
    boolean[] taken = new boolean[e];
    int j = 0;
    if (forced != null) {
      for (int x : forced) {
        taken[x] = true;
        idx[j++] = x;
      }
    }
    for (; j < k; j++) {
      int best = -1;
      for (int i = 0; i < e; i++) {
        if (!taken[i]
            && (banned == null || !banned[i])
            && (best < 0 || v[off + i] > v[off + best])) {
          best = i;
        }
      }
      if (best < 0) {
        throw new IllegalArgumentException("k = " + k + " exceeds the experts not banned");
      }
      taken[best] = true;
      idx[j] = best;
    }
    return idx;
  }

  /**
   * Indices of the k largest values of row [off, off+e), largest first, ties to the lower index.
   */
  static int[] topK(float[] v, int off, int e, int k) {
    int[] idx = new int[k];
    boolean[] taken = new boolean[e];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < e; i++) {
        if (!taken[i] && (best < 0 || v[off + i] > v[off + best])) {
          best = i;
        }
      }
      taken[best] = true;
      idx[j] = best;
    }
    return idx;
  }

  /** E * sum_e f_e * P_e with f_e over all N*k assignments before capacity drops. */
  public static double auxLoss(float[] probs, int[][] experts, int n, int e) {
    double[] f = new double[e];
    double[] p = new double[e];
    int k = experts.length == 0 ? 1 : experts[0].length;
    for (int t = 0; t < n; t++) {
      for (int x : experts[t]) {
        f[x] += 1.0 / ((double) n * k);
      }
      for (int i = 0; i < e; i++) {
        p[i] += probs[t * e + i] / (double) n;
      }
    }
    double s = 0;
    for (int i = 0; i < e; i++) {
      s += f[i] * p[i];
    }
    return e * s;
  }

  /** mean over tokens of (logsumexp of the logits)^2. */
  public static double zLoss(float[] logits, int n, int e) {
    double s = 0;
    for (int t = 0; t < n; t++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < e; i++) {
        max = Math.max(max, logits[t * e + i]);
      }
      double sum = 0;
      for (int i = 0; i < e; i++) {
        sum += Math.exp(logits[t * e + i] - max);
      }
      double lse = max + Math.log(sum);
      s += lse * lse;
    }
    return n == 0 ? 0 : s / n;
  }

  /** Shannon entropy (nats) of one token's router distribution. */
  public static double entropy(float[] probs, int off, int e) {
    double h = 0;
    for (int i = 0; i < e; i++) {
      double p = probs[off + i];
      if (p > 0) {
        h -= p * Math.log(p);
      }
    }
    return h;
  }

  /** A copy of row t of a row-major [N][E] array. */
  public static float[] row(float[] m, int t, int e) {
    return Arrays.copyOfRange(m, t * e, (t + 1) * e);
  }
}
