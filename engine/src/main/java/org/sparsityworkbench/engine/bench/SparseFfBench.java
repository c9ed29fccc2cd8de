package org.sparsityworkbench.engine.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.model.SparseFeedForward;

/**
 * Batch-1 decode latency of one sparse feed-forward layer against the dense feed-forward it
 * replaces: d_ff = 4d, a fresh input (so a fresh set of chosen units) every call. Three paths are
 * timed call by call in turn (dense, the sparse decode path, the sparse path through DJL alone), in
 * rounds: each round runs every configuration once, in an order that rotates from round to round,
 * and gives a median time per path and a speed-up per configuration; the result is the median and
 * the range of the rounds' speed-ups, so one disturbance cannot decide it. The FLOP bound counts
 * the controller: dense 4 d f against 2 d r + 2 r f + 4 d f / N.
 */
public final class SparseFfBench {
  private SparseFfBench() {}

  /**
   * One measured configuration.
   *
   * @param denseUs median over rounds of the dense FF's median call time
   * @param sparseUs the same for the sparse decode path (Java when {@code javaPath})
   * @param speedup median over rounds of dense / sparse
   * @param speedupMin the least round's speed-up
   * @param speedupMax the largest round's speed-up
   * @param djlUs the same as sparseUs for the DJL-only sparse path (the path before issue 16)
   * @param djlSpeedup median over rounds of dense / DJL-only sparse
   * @param ofBound speedup / flopBound
   */
  public record Row(
      int d,
      int dFf,
      int n,
      int controllerRank,
      double denseUs,
      double sparseUs,
      double speedup,
      double speedupMin,
      double speedupMax,
      double djlUs,
      double djlSpeedup,
      double flopBound,
      double ofBound,
      int rounds,
      boolean javaPath) {}

  /** A configuration: width d and block size N (d_ff = 4d, rank d_ff / N). */
  public record Config(int d, int n) {}

  /** FLOPs of the dense FF over FLOPs of the sparse FF with its controller. */
  public static double flopBound(int d, int f, int n, int rank) {
    double dense = 4.0 * d * f;
    double sparse = 2.0 * d * rank + 2.0 * rank * f + 4.0 * d * f / n;
    return dense / sparse;
  }

  /** Measures one configuration (one warm-up round, then {@code rounds} rounds). */
  public static Row measure(int d, int n, int iterations, long seed) {
    return measure(List.of(new Config(d, n)), iterations, 1, seed, r -> {}).getFirst();
  }

  /**
   * Measures every configuration, interleaved: a warm-up round, then {@code rounds} rounds of
   * {@code iterations} calls of each path per configuration. W1 and W2 are shared by the
   * configurations of one width (the dense FF uses the same ones).
   *
   * @param onRound called after each measured round with its speed-ups, in configuration order
   */
  public static List<Row> measure(
      List<Config> configs, int iterations, int rounds, long seed, Consumer<double[]> onRound) {
    Engines.pytorch();
    Random rng = new Random(seed);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<Integer, NDArray[]> weights = new HashMap<>();
      List<Case> cases = new ArrayList<>();
      for (Config c : configs) {
        int d = c.d();
        int f = 4 * d;
        int rank = f / c.n();
        NDArray[] w =
            weights.computeIfAbsent(
                d,
                k ->
                    new NDArray[] {
                      m.randomNormal(0, 0.02f, new Shape(f, d), DataType.FLOAT32),
                      m.randomNormal(0, 0.02f, new Shape(f, d), DataType.FLOAT32)
                    });
        NDArray a = m.randomNormal(0, 0.02f, new Shape(d, rank), DataType.FLOAT32);
        NDArray b = m.randomNormal(0, 0.02f, new Shape(rank, f), DataType.FLOAT32);
        NDArray bias = m.zeros(new Shape(f));
        SparseFeedForward sparse = new SparseFeedForward(a, b, bias, w[0], w[1], c.n());
        List<NDArray> inputs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          float[] v = new float[d];
          for (int j = 0; j < d; j++) {
            v[j] = (float) rng.nextGaussian();
          }
          inputs.add(m.create(v, new Shape(1, d)));
        }
        cases.add(new Case(c, rank, w[0], w[1], sparse, inputs));
      }
      int k = cases.size();
      double[][] dense = new double[k][rounds];
      double[][] sparse = new double[k][rounds];
      double[][] djl = new double[k][rounds];
      double[][] speedup = new double[k][rounds];
      double[][] djlSpeedup = new double[k][rounds];
      for (int round = -1; round < rounds; round++) {
        double[] roundSpeedups = new double[k];
        for (int step = 0; step < k; step++) {
          int i = Math.floorMod(step + round, k); // the order rotates from round to round
          double[] us = cases.get(i).run(round < 0 ? Math.max(20, iterations / 2) : iterations);
          if (round >= 0) {
            dense[i][round] = us[0];
            sparse[i][round] = us[1];
            djl[i][round] = us[2];
            speedup[i][round] = us[0] / us[1];
            djlSpeedup[i][round] = us[0] / us[2];
            roundSpeedups[i] = speedup[i][round];
          }
        }
        if (round >= 0) {
          onRound.accept(roundSpeedups);
        }
      }
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        Case c = cases.get(i);
        int d = c.config().d();
        int f = 4 * d;
        double bound = flopBound(d, f, c.config().n(), c.rank());
        double s = median(speedup[i]);
        rows.add(
            new Row(
                d,
                f,
                c.config().n(),
                c.rank(),
                median(dense[i]),
                median(sparse[i]),
                s,
                Arrays.stream(speedup[i]).min().orElseThrow(),
                Arrays.stream(speedup[i]).max().orElseThrow(),
                median(djl[i]),
                median(djlSpeedup[i]),
                bound,
                s / bound,
                rounds,
                c.sparse().javaDecode()));
      }
      return rows;
    }
  }

  private record Case(
      Config config,
      int rank,
      NDArray w1,
      NDArray w2,
      SparseFeedForward sparse,
      List<NDArray> inputs) {
    /** Median microseconds per call of dense, sparse decode and DJL-only sparse. */
    double[] run(int iterations) {
      double[][] t = new double[3][iterations];
      for (int i = 0; i < iterations; i++) {
        NDArray x = inputs.get(i % inputs.size());
        // Call by call in turn, the first path rotating, so all see the same machine state.
        for (int p = 0; p < 3; p++) {
          int path = (p + i) % 3;
          long t0 = System.nanoTime();
          try (NDScope s = new NDScope()) {
            s.suppressNotUsedWarning();
            switch (path) {
              case 0 ->
                  x.matMul(w1.transpose()).getNDArrayInternal().relu().matMul(w2).toFloatArray();
              case 1 -> sparse.decode(x).toFloatArray();
              default -> sparse.decodeDjl(x).toFloatArray();
            }
          }
          t[path][i] = (System.nanoTime() - t0) / 1e3;
        }
      }
      return new double[] {median(t[0]), median(t[1]), median(t[2])};
    }
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
