package org.sparsityworkbench.viewmodels;

import java.util.List;

/**
 * Figures over a window of decoded tokens for one layer, as the routing and controller views show
 * them. Pure functions of the snapshots, so they are tested without a toolkit.
 */
public final class WindowStats {
  private WindowStats() {}

  /**
   * Expert load and balance of a layer over the window.
   *
   * @param load assignments per expert (top-k counts k per token)
   * @param cv coefficient of variation of the load
   * @param maxOverMean the busiest expert's load over the mean load
   * @param dead experts no token was sent to
   * @param auxLoss Switch load-balancing loss E * sum_i f_i P_i, f_i the fraction of assignments to
   *     expert i and P_i its mean router probability (NaN without probabilities)
   * @param meanEntropy mean router entropy, nats
   */
  public record Routing(
      int[] load, double cv, double maxOverMean, int dead, double auxLoss, double meanEntropy) {}

  /** Routing figures of a layer; null when the window has no router data. */
  public static Routing routing(List<TokenSnapshot> window, int layer) {
    if (window.isEmpty() || window.getLast().experts() == null) {
      return null;
    }
    float[] lastProbs = window.getLast().probs() == null ? null : window.getLast().probs()[layer];
    int e = lastProbs != null ? lastProbs.length : maxExpert(window, layer) + 1;
    int[] load = new int[e];
    double[] meanP = new double[e];
    double entropy = 0;
    int assignments = 0;
    boolean probs = true;
    for (TokenSnapshot t : window) {
      for (int x : t.experts()[layer]) {
        load[x]++;
        assignments++;
      }
      if (t.probs() == null) {
        probs = false;
      } else {
        for (int i = 0; i < e; i++) {
          meanP[i] += t.probs()[layer][i] / window.size();
        }
      }
      entropy += t.entropy()[layer] / window.size();
    }
    double mean = (double) assignments / e;
    double var = 0;
    int max = 0;
    int dead = 0;
    double aux = 0;
    for (int i = 0; i < e; i++) {
      var += (load[i] - mean) * (load[i] - mean) / e;
      max = Math.max(max, load[i]);
      dead += load[i] == 0 ? 1 : 0;
      aux += (double) load[i] / Math.max(1, assignments) * meanP[i];
    }
    return new Routing(
        load,
        mean == 0 ? 0 : Math.sqrt(var) / mean,
        mean == 0 ? 0 : max / mean,
        dead,
        probs ? e * aux : Double.NaN,
        entropy);
  }

  private static int maxExpert(List<TokenSnapshot> window, int layer) {
    int m = 0;
    for (TokenSnapshot t : window) {
      for (int x : t.experts()[layer]) {
        m = Math.max(m, x);
      }
    }
    return m;
  }

  /**
   * Controller unit usage of a layer over the window.
   *
   * @param counts [block][unit] how often each unit of each block was chosen
   * @param distinctPerBlock mean number of different units a block used
   * @param dominantShare how often a block chose its most used unit, averaged over blocks
   * @param meanConfidence mean probability of the chosen units
   */
  public record Units(
      int[][] counts, double distinctPerBlock, double dominantShare, double meanConfidence) {}

  /** Unit usage of a layer; null when the window has no controller data. */
  public static Units units(List<TokenSnapshot> window, int layer) {
    if (window.isEmpty() || window.getLast().chosen() == null) {
      return null;
    }
    int blocks = window.getLast().chosen()[layer].length;
    int n = window.getLast().blockSize();
    int[][] counts = new int[blocks][n];
    double confidence = 0;
    for (TokenSnapshot t : window) {
      for (int b = 0; b < blocks; b++) {
        counts[b][t.chosen()[layer][b]]++;
        confidence += t.confidence()[layer][b];
      }
    }
    double distinct = 0;
    double dominant = 0;
    for (int[] block : counts) {
      int max = 0;
      for (int c : block) {
        distinct += c > 0 ? 1 : 0;
        max = Math.max(max, c);
      }
      dominant += (double) max / window.size();
    }
    return new Units(
        counts, distinct / blocks, dominant / blocks, confidence / (blocks * window.size()));
  }
}
