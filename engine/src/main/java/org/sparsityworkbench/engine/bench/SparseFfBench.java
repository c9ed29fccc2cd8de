package org.sparsityworkbench.engine.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.model.SparseFeedForward;

/**
 * Batch-1 decode latency of one sparse feed-forward layer against the dense feed-forward it
 * replaces: d_ff = 4d, a fresh input (so a fresh set of chosen units) every call, medians after a
 * warm-up. The FLOP bound counts the controller: dense 4 d f against 2 d r + 2 r f + 4 d f / N.
 */
public final class SparseFfBench {
  private SparseFfBench() {}

  /** One measured configuration. */
  public record Row(
      int d,
      int dFf,
      int n,
      int controllerRank,
      double denseUs,
      double sparseUs,
      double speedup,
      double flopBound,
      double ofBound) {}

  /** FLOPs of the dense FF over FLOPs of the sparse FF with its controller. */
  public static double flopBound(int d, int f, int n, int rank) {
    double dense = 4.0 * d * f;
    double sparse = 2.0 * d * rank + 2.0 * rank * f + 4.0 * d * f / n;
    return dense / sparse;
  }

  /** Measures one configuration. */
  public static Row measure(int d, int n, int iterations, long seed) {
    Engines.pytorch();
    int f = 4 * d;
    int rank = f / n;
    Random rng = new Random(seed);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w1 = m.randomNormal(0, 0.02f, new Shape(f, d), DataType.FLOAT32);
      NDArray w2 = m.randomNormal(0, 0.02f, new Shape(f, d), DataType.FLOAT32);
      NDArray a = m.randomNormal(0, 0.02f, new Shape(d, rank), DataType.FLOAT32);
      NDArray b = m.randomNormal(0, 0.02f, new Shape(rank, f), DataType.FLOAT32);
      NDArray bias = m.zeros(new Shape(f));
      SparseFeedForward sparse = new SparseFeedForward(a, b, bias, w1, w2, n);
      int pool = 64;
      List<NDArray> inputs = new ArrayList<>();
      for (int i = 0; i < pool; i++) {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) {
          v[j] = (float) rng.nextGaussian();
        }
        inputs.add(m.create(v, new Shape(1, d)));
      }
      int warm = Math.max(20, iterations / 5);
      double[] dense = new double[iterations];
      double[] sp = new double[iterations];
      for (int i = -warm; i < iterations; i++) {
        NDArray x = inputs.get(Math.floorMod(i, pool));
        // Alternate so both see the same machine state.
        long t0 = System.nanoTime();
        try (NDScope s = new NDScope()) {
          s.suppressNotUsedWarning();
          x.matMul(w1.transpose()).getNDArrayInternal().relu().matMul(w2).toFloatArray();
        }
        long t1 = System.nanoTime();
        try (NDScope s = new NDScope()) {
          s.suppressNotUsedWarning();
          sparse.decode(x).toFloatArray();
        }
        long t2 = System.nanoTime();
        if (i >= 0) {
          dense[i] = (t1 - t0) / 1e3;
          sp[i] = (t2 - t1) / 1e3;
        }
      }
      double du = median(dense);
      double su = median(sp);
      double bound = flopBound(d, f, n, rank);
      return new Row(d, f, n, rank, du, su, du / su, bound, du / su / bound);
    }
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
