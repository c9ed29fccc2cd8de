package org.sparsityworkbench.engine.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/**
 * Prompt and decode throughput of a model directory (any kind), with summary telemetry, on the
 * calling thread; decode rounds interleaved with nothing else, medians and spread reported; the
 * weight-streaming limit from a measured single-thread matrix-vector bandwidth.
 */
public final class HfBench {
  private HfBench() {}

  /**
   * @param decodeTps decode tokens/s per round (step time)
   * @param bytesPerToken weight bytes a decoded token reads (active parameters, float32; the
   *     embedding as one row)
   * @param bandwidth measured bytes/s of a float32 matrix-vector product over 512 MiB
   * @param rss resident memory after the decodes, bytes
   * @param rssBefore resident memory with the engine started, before the model loaded
   */
  public record Result(
      String model,
      String architecture,
      long params,
      long activeParams,
      double loadSeconds,
      double promptTps,
      double[] decodeTps,
      long bytesPerToken,
      double bandwidth,
      long rss,
      long rssBefore) {
    public double medianDecode() {
      double[] s = decodeTps.clone();
      Arrays.sort(s);
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public double limitTps() {
      return bandwidth / bytesPerToken;
    }
  }

  public static Result run(Path dir, int promptTokens, int tokens, int rounds)
      throws ModelFormatException {
    Engines.pytorch();
    try (NDManager root = NDManager.newBaseManager()) {
      long before = rss();
      long t0 = System.nanoTime();
      try (TransformerModel m = Models.load(dir, root, LoadProgress.NONE)) {
        double load = (System.nanoTime() - t0) / 1e9;
        ModelSummary s = ModelSummary.of(m);
        int v = m.tokenizer().vocabularySize();
        Random r = new Random(7);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) {
          prompt[i] = r.nextInt(Math.min(v, 256));
        }
        DecodeOptions o =
            new DecodeOptions(tokens, SamplingOptions.greedy(), TelemetryLevel.SUMMARY, false);
        double promptTps = 0;
        double[] decode = new double[rounds];
        for (int round = -1; round < rounds; round++) { // round -1 warms up
          try (DecodeSession session = new DecodeSession(m, o)) {
            long p0 = System.nanoTime();
            session.prefill(prompt);
            double pt = prompt.length / ((System.nanoTime() - p0) / 1e9);
            for (int i = 0; i < tokens && session.canStep(); i++) {
              session.step();
            }
            if (round >= 0) {
              decode[round] = session.end("max_tokens").tokensPerS();
              promptTps = Math.max(promptTps, pt);
            }
          }
        }
        long rss = rss();
        long lookup = m.spec().head().tied() ? 0 : (long) m.spec().vocabSize() * m.spec().dModel();
        long bytes = (s.activeParams() - lookup + m.spec().dModel()) * Float.BYTES;
        return new Result(
            dir.toString(),
            s.architecture(),
            s.totalParams(),
            s.activeParams(),
            load,
            promptTps,
            decode,
            bytes,
            bandwidth(root),
            rss,
            before);
      }
    }
  }

  /** Bytes/s of (1, 4096) x (4096, 32768)^T float32 products, median of 9. */
  static double bandwidth(NDManager root) {
    try (NDManager m = root.newSubManager()) {
      NDArray w = m.randomUniform(-1, 1, new Shape(32768, 4096));
      NDArray x = m.randomUniform(-1, 1, new Shape(1, 4096));
      NDArray wt = w.transpose();
      double[] t = new double[9];
      for (int i = -2; i < t.length; i++) {
        long a = System.nanoTime();
        try (NDArray y = x.matMul(wt)) {
          y.toFloatArray();
        }
        if (i >= 0) {
          t[i] = (System.nanoTime() - a) / 1e9;
        }
      }
      Arrays.sort(t);
      return 32768.0 * 4096 * 4 / t[t.length / 2];
    }
  }

  /** VmRSS of this process in bytes, or -1. */
  public static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
