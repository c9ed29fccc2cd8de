package org.sparsityworkbench.viewmodels;

import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.LayerKind;

/**
 * The Analyse view's maps as numbers, from a result: what each cell means is decided here, tested
 * alone; the view only colours and labels them. NaN marks a cell with nothing to show.
 */
public final class AnalysisTables {
  private AnalysisTables() {}

  /**
   * Expert use of one layer: rows are the domains then "all", columns the experts; each cell the
   * share of the row's assignments that went to the expert, divided by the uniform share 1 / E (1:
   * as often as an even split; 2: twice as often).
   */
  public static double[][] useVsUniform(AnalysisResult r, int layer) {
    LayerKind k = r.layers().get(layer);
    int rows = r.domains().size() + 1;
    double[][] m = new double[rows][k.experts()];
    for (int d = 0; d < rows; d++) {
      for (int e = 0; e < k.experts(); e++) {
        double share = d < rows - 1 ? r.share(layer, d, e) : r.share(layer, e);
        m[d][e] = share * k.experts();
      }
    }
    return m;
  }

  /** The rows of {@link #useVsUniform}: the domains, then "all". */
  public static java.util.List<String> useRows(AnalysisResult r) {
    java.util.List<String> rows = new java.util.ArrayList<>(r.domains());
    rows.add("all");
    return rows;
  }

  /** What a co-activation map pairs. */
  public enum Pairing {
    /** Experts chosen together by one token (top-k layers). */
    WITHIN_TOKEN,
    /** The expert of a token in this layer against its expert in the next layer. */
    NEXT_LAYER
  }

  /**
   * Co-activation of one layer: cell (e, f) is the share of the tokens routed to e (row) that also
   * chose f, within the token (diagonal NaN) or in the next layer; null where the layer has none
   * (top-1 within a token, or no routed next layer).
   */
  public static double[][] coactivation(AnalysisResult r, int layer, Pairing pairing) {
    LayerKind k = r.layers().get(layer);
    if (!k.routed()) {
      return null;
    }
    if (pairing == Pairing.WITHIN_TOKEN) {
      if (k.topK() < 2) {
        return null;
      }
      double[][] m = new double[k.experts()][k.experts()];
      for (int e = 0; e < k.experts(); e++) {
        long n = r.use(layer, e);
        for (int f = 0; f < k.experts(); f++) {
          m[e][f] = e == f || n == 0 ? Double.NaN : (double) r.together(layer, e, f) / n;
        }
      }
      return m;
    }
    long[][] next = r.nextLayer(layer);
    if (next == null) {
      return null;
    }
    double[][] m = new double[next.length][];
    for (int e = 0; e < next.length; e++) {
      long sum = 0;
      for (long c : next[e]) {
        sum += c;
      }
      m[e] = new double[next[e].length];
      for (int f = 0; f < next[e].length; f++) {
        m[e][f] = sum == 0 ? Double.NaN : (double) next[e][f] / sum;
      }
    }
    return m;
  }

  /**
   * Sparse FF unit use of one layer over every domain: rows are the blocks, columns the units of a
   * block; each cell the share of tokens whose controller chose the unit in its block.
   */
  public static double[][] unitUse(AnalysisResult r, int layer) {
    LayerKind k = r.layers().get(layer);
    double[][] m = new double[k.blocks()][k.blockSize()];
    for (int g = 0; g < k.blocks(); g++) {
      for (int i = 0; i < k.blockSize(); i++) {
        long c = 0;
        for (int d = 0; d < r.domains().size(); d++) {
          c += r.unitUse(layer, d, g * k.blockSize() + i);
        }
        m[g][i] = r.tokens() == 0 ? Double.NaN : (double) c / r.tokens();
      }
    }
    return m;
  }
}
