package org.sparsityworkbench.engine.bench;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
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
 * tokens are decoded to the end of it with telemetry off; each decode gives its median step time.
 * The families of one width are measured in rounds: after a warm-up decode of each, every round
 * decodes with every family once, in an order that rotates from round to round, and the speed-up
 * over dense is taken within the round; the result is the median and the range over rounds, so one
 * disturbance cannot decide it.
 */
public final class ModelBench {
  private ModelBench() {}

  /**
   * One measured model.
   *
   * @param msPerToken median over rounds of the decodes' median step time
   * @param msMin the fastest round's median step time
   * @param msMax the slowest round's
   * @param speedup median over rounds of dense / this family in the same round (0 without dense)
   * @param speedupMin the least round's speed-up
   * @param speedupMax the largest round's speed-up
   */
  public record Row(
      String family,
      int d,
      int layers,
      int context,
      long paramsTotal,
      long paramsActive,
      double msPerToken,
      double tokensPerS,
      double msMin,
      double msMax,
      double speedup,
      double speedupMin,
      double speedupMax,
      int rounds) {}

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

  /** Measures one model: a warm-up decode, then one measured decode. */
  public static Row measure(Family family, int d, int layers, int context) {
    return measure(List.of(family), d, layers, context, 1, r -> {}).getFirst();
  }

  /**
   * Measures the families at width d, interleaved in rounds (see the class comment).
   *
   * @param onRound called after each round with its median step times in ms, in family order
   */
  public static List<Row> measure(
      List<Family> families,
      int d,
      int layers,
      int context,
      int rounds,
      Consumer<double[]> onRound) {
    Engines.pytorch();
    int k = families.size();
    try (NDManager root = NDManager.newBaseManager()) {
      List<TransformerModel> models = new ArrayList<>();
      try {
        for (Family f : families) {
          models.add(TransformerModel.random(config(f, d, layers, context), 1, root));
        }
        String prompt = "a".repeat(context / 2);
        int steps = context - prompt.length();
        DecodeOptions o =
            new DecodeOptions(steps, SamplingOptions.greedy(), TelemetryLevel.OFF, false);
        for (TransformerModel m : models) {
          decode(m, o, prompt, steps); // warm-up
        }
        double[][] ms = new double[k][rounds];
        for (int r = 0; r < rounds; r++) {
          for (int step = 0; step < k; step++) {
            int i = (step + r) % k; // the order rotates from round to round
            ms[i][r] = decode(models.get(i), o, prompt, steps) / 1e3;
          }
          double[] round = new double[k];
          for (int i = 0; i < k; i++) {
            round[i] = ms[i][r];
          }
          onRound.accept(round);
        }
        int dense = families.indexOf(Family.DENSE);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < k; i++) {
          double[] speedups = new double[rounds];
          for (int r = 0; r < rounds; r++) {
            speedups[r] = dense < 0 ? 0 : ms[dense][r] / ms[i][r];
          }
          double median = SparseFfBench.median(ms[i]);
          ModelSummary sum = ModelSummary.of(config(families.get(i), d, layers, context));
          rows.add(
              new Row(
                  families.get(i).id(),
                  d,
                  layers,
                  context,
                  sum.totalParams(),
                  sum.activeParams(),
                  median,
                  1e3 / median,
                  Arrays.stream(ms[i]).min().orElseThrow(),
                  Arrays.stream(ms[i]).max().orElseThrow(),
                  SparseFfBench.median(speedups),
                  Arrays.stream(speedups).min().orElseThrow(),
                  Arrays.stream(speedups).max().orElseThrow(),
                  rounds));
        }
        return rows;
      } finally {
        for (TransformerModel m : models) {
          m.close();
        }
      }
    }
  }

  /** One decode of the steps after the prompt; its median step time in microseconds. */
  private static double decode(TransformerModel model, DecodeOptions o, String prompt, int steps) {
    double[] us = new double[steps];
    int n = 0;
    try (DecodeSession s = new DecodeSession(model, o)) {
      s.prefill(prompt);
      for (; n < steps && s.canStep(); n++) {
        us[n] = s.step().latencyUs();
      }
    }
    return SparseFfBench.median(Arrays.copyOf(us, n));
  }
}
