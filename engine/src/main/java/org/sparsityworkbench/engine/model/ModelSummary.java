package org.sparsityworkbench.engine.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsityworkbench.engine.config.ModelConfig;

/**
 * What a model is and costs: parameters total and active per token, FLOPs per token.
 *
 * @param flopsFirst FLOPs to decode the token at position 0
 * @param flopsLast FLOPs to decode the token at the last position of the context
 */
public record ModelSummary(
    ModelConfig config, long totalParams, long activeParams, long flopsFirst, long flopsLast) {

  /** Computes the summary of a configuration. */
  public static ModelSummary of(ModelConfig c) {
    return new ModelSummary(
        c,
        ParameterLayout.total(c),
        ParameterLayout.activePerToken(c),
        ParameterLayout.flopsPerToken(c, 0),
        ParameterLayout.flopsPerToken(c, c.contextLength() - 1));
  }

  /** One line: "switch: d=128, 4 layers, 4 heads, d_ff 512, 8 experts top-1". */
  public String architecture() {
    ModelConfig c = config;
    String s =
        c.family()
            + ": d_model "
            + c.dModel()
            + ", "
            + c.nLayers()
            + " layers, "
            + c.nHeads()
            + " heads, d_ff "
            + c.dFf()
            + ", context "
            + c.contextLength();
    if (c.family().isMoe()) {
      s +=
          ", "
              + c.numExperts()
              + " experts, top-"
              + c.topK()
              + ", capacity factor "
              + c.capacityFactor();
    }
    if (c.family().hasSparseFf()) {
      s +=
          ", "
              + c.blocks()
              + " blocks of "
              + c.blockSize()
              + ", controller rank "
              + c.controllerRank();
    }
    if (c.family().hasSparseQkv()) {
      s += ", " + c.qkvModules() + " QKV modules, conv kernel " + c.convKernel();
    }
    return s;
  }

  /** The summary as an ordered map for JSON output. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("architecture", architecture());
    m.put("config", config.toMap());
    m.put("params_total", totalParams);
    m.put("params_active_per_token", activeParams);
    m.put("flops_per_token_first", flopsFirst);
    m.put("flops_per_token_last", flopsLast);
    return m;
  }

  /** A count in human units: 1.23M. */
  public static String human(long n) {
    if (n >= 1_000_000_000L) {
      return String.format("%.2fG", n / 1e9);
    }
    if (n >= 1_000_000L) {
      return String.format("%.2fM", n / 1e6);
    }
    if (n >= 1_000L) {
      return String.format("%.1fk", n / 1e3);
    }
    return Long.toString(n);
  }
}
