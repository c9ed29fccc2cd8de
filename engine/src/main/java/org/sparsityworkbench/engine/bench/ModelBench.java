package org.sparsityworkbench.engine.bench;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/**
 * Whole-model batch-1 decode latency with random weights: a prompt fills half the context, then
 * tokens are decoded to the end of it with telemetry off; the median step time is reported.
 */
public final class ModelBench {
  private ModelBench() {}

  /** One measured model. */
  public record Row(
      String family,
      int d,
      int layers,
      int context,
      long paramsTotal,
      long paramsActive,
      double msPerToken,
      double tokensPerS) {}

  /** The configuration benchmarked for a family at width d (d_ff = 4d, heads d/64, N = 32). */
  public static ModelConfig config(Family family, int d, int layers, int context) {
    int heads = Math.max(1, d / 64);
    int f = 4 * d;
    return switch (family) {
      case DENSE -> ModelConfig.dense(d, layers, heads, f, context);
      case SWITCH, TOPK ->
          ModelConfig.moe(
              family, d, layers, heads, f, context, 8, family == Family.TOPK ? 2 : 1, 1.25);
      case SPARSE_FF, SPARSE_QKV, SPARSE_FFQKV ->
          ModelConfig.sparse(family, d, layers, heads, f, context, 32, f / 32, 16, 3);
    };
  }

  /** Measures one model. */
  public static Row measure(Family family, int d, int layers, int context) {
    Engines.pytorch();
    ModelConfig c = config(family, d, layers, context);
    try (NDManager root = NDManager.newBaseManager();
        TransformerModel model = TransformerModel.random(c, 1, root)) {
      String prompt = "a".repeat(context / 2);
      int steps = context - prompt.length();
      DecodeOptions o =
          new DecodeOptions(steps, SamplingOptions.greedy(), TelemetryLevel.OFF, false);
      double[] us = new double[steps];
      // Warm-up decode, then the measured one.
      for (int run = 0; run < 2; run++) {
        try (DecodeSession s = new DecodeSession(model, o)) {
          s.prefill(prompt);
          for (int i = 0; i < steps && s.canStep(); i++) {
            us[i] = s.step().latencyUs();
          }
        }
      }
      double median = SparseFfBench.median(Arrays.copyOf(us, steps));
      ModelSummary sum = ModelSummary.of(c);
      return new Row(
          family.id(),
          d,
          layers,
          context,
          sum.totalParams(),
          sum.activeParams(),
          median / 1e3,
          1e6 / median);
    }
  }
}
