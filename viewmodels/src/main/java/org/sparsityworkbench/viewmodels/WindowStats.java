package org.sparsityworkbench.viewmodels;

import java.util.List;
import org.sparsityworkbench.engine.model.Router;

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

  /**
   * Routing figures of a layer; null when the window has no router data.
   *
   * @param experts the model's number of experts (E)
   */
  public static Routing routing(List<TokenSnapshot> window, int layer, int experts) {
    if (window.isEmpty() || window.getLast().experts() == null || experts <= 0) {
      return null;
    }
    int n = window.size();
    int[] load = new int[experts];
    int[][] chosen = new int[n][];
    float[] probs = new float[n * experts];
    boolean withProbs = true;
    double entropy = 0;
    int assignments = 0;
    for (int t = 0; t < n; t++) {
      TokenSnapshot s = window.get(t);
      chosen[t] = s.experts()[layer];
      for (int x : chosen[t]) {
        load[x]++;
        assignments++;
      }
      if (s.probs() == null) {
        withProbs = false;
      } else {
        System.arraycopy(s.probs()[layer], 0, probs, t * experts, experts);
      }
      entropy += s.entropy()[layer] / n;
    }
    double mean = (double) assignments / experts;
    double var = 0;
    int max = 0;
    int dead = 0;
    for (int v : load) {
      var += (v - mean) * (v - mean) / experts;
      max = Math.max(max, v);
      dead += v == 0 ? 1 : 0;
    }
    return new Routing(
        load,
        mean == 0 ? 0 : Math.sqrt(var) / mean,
        mean == 0 ? 0 : max / mean,
        dead,
        // The training loss itself (Switch eq. 4-6), over the window's tokens.
        withProbs ? Router.auxLoss(probs, chosen, n, experts) : Double.NaN,
        entropy);
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
