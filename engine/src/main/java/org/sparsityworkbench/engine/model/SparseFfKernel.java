package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The decode step (one token) of {@link SparseFeedForward} in Java with the JDK Vector API, reading
 * the weights where PyTorch keeps them: each weight is a {@link MemorySegment} over the native
 * tensor's own memory (a direct view, not a copy), taken once at binding. The math is that of the
 * DJL path; only the order of the float additions differs.
 *
 * <p>Load this class only when the {@code jdk.incubator.vector} module is present ({@link
 * SparseFeedForward#VECTOR_API}); without it, referencing the vector classes fails.
 */
final class SparseFfKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);

  /** The arrays the views point into; checked before every call, so a closed one is an error. */
  private final NDArray[] owners;

  private final MemorySegment a;
  private final MemorySegment b;
  private final MemorySegment bias;
  private final MemorySegment w1;
  private final MemorySegment w2;
  private final int d;
  private final int rank;
  private final int dFf;
  private final int blockSize;
  private final int blocks;

  private SparseFfKernel(
      NDArray[] owners, MemorySegment[] views, int d, int rank, int dFf, int blockSize) {
    this.owners = owners;
    this.a = views[0];
    this.b = views[1];
    this.bias = views[2];
    this.w1 = views[3];
    this.w2 = views[4];
    this.d = d;
    this.rank = rank;
    this.dFf = dFf;
    this.blockSize = blockSize;
    this.blocks = dFf / blockSize;
  }

  /**
   * Views of the five weights, or null when any of them cannot be read in place (not float32, not
   * on the CPU, not contiguous, or not of the shapes a (d, r), b (r, f), bias (f), w1 and w2 (f,
   * d)): the caller then keeps the DJL path.
   */
  static SparseFfKernel bind(
      NDArray a, NDArray b, NDArray bias, NDArray w1, NDArray w2, int blockSize) {
    if (w1.getShape().dimension() != 2 || a.getShape().dimension() != 2) {
      return null;
    }
    int f = Math.toIntExact(w1.getShape().get(0));
    int d = Math.toIntExact(w1.getShape().get(1));
    int r = Math.toIntExact(a.getShape().get(1));
    if (!a.getShape().equals(new ai.djl.ndarray.types.Shape(d, r))
        || !b.getShape().equals(new ai.djl.ndarray.types.Shape(r, f))
        || !bias.getShape().equals(new ai.djl.ndarray.types.Shape(f))
        || !w2.getShape().equals(w1.getShape())
        || blockSize <= 0
        || f % blockSize != 0) {
      return null;
    }
    Warm.UP.hashCode(); // the first kernel of the process waits for the warm-up (once)
    NDArray[] owners = {a, b, bias, w1, w2};
    MemorySegment[] views = new MemorySegment[owners.length];
    for (int i = 0; i < owners.length; i++) {
      views[i] = view(owners[i]);
      if (views[i] == null) {
        return null;
      }
    }
    return new SparseFfKernel(owners, views, d, r, f, blockSize);
  }

  /**
   * A segment over the array's own native memory, or null if the array is not a contiguous CPU
   * float32 array. DJL's {@code toByteBuffer(true)} returns a direct view for a contiguous CPU
   * tensor and a fresh contiguous copy otherwise; two calls that give the same address are a view.
   */
  private static MemorySegment view(NDArray x) {
    if (x.getDataType() != DataType.FLOAT32 || x.getDevice().isGpu() || x.isSparse()) {
      return null;
    }
    ByteBuffer first = x.toByteBuffer(true);
    ByteBuffer second = x.toByteBuffer(true);
    if (!first.isDirect() || !second.isDirect()) {
      return null;
    }
    MemorySegment s1 = MemorySegment.ofBuffer(first);
    MemorySegment s2 = MemorySegment.ofBuffer(second);
    if (s1.address() != s2.address() || s1.byteSize() != 4L * x.size()) {
      return null;
    }
    return s1;
  }

  /**
   * The Vector API's one-time start, paid when the first model binds rather than by its first
   * decode steps: loading and linking the vector classes and running the kernel until the JIT has
   * compiled it (measured: a 120-token decode of a bundled d=128 model ran at about half speed
   * without it). Runs a small kernel over native memory of its own; the weights are random.
   */
  private static final class Warm {
    static final Object UP = warmUp();

    private static Object warmUp() {
      int d = 64;
      int r = 16;
      int f = 256;
      int n = 16;
      java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
      java.util.Random rng = new java.util.Random(1);
      MemorySegment[] views = new MemorySegment[5];
      long[] sizes = {(long) d * r, (long) r * f, f, (long) f * d, (long) f * d};
      for (int i = 0; i < views.length; i++) {
        views[i] = arena.allocate(4 * sizes[i], 64);
        for (long j = 0; j < sizes[i]; j++) {
          views[i].setAtIndex(FLOAT, j, (float) rng.nextGaussian());
        }
      }
      SparseFfKernel k = new SparseFfKernel(new NDArray[0], views, d, r, f, n);
      float[] x = new float[d];
      for (int j = 0; j < d; j++) {
        x[j] = (float) rng.nextGaussian();
      }
      float sum = 0;
      for (int i = 0; i < WARM_UP_CALLS; i++) {
        x[i % d] += 1e-3f;
        float[] y = k.units(x, blockArgmax(k.controller(x), n));
        sum += y[0];
      }
      return sum;
    }
  }

  /** Calls of the warm-up kernel. */
  static final int WARM_UP_CALLS = 20_000;

  private void checkOpen() {
    for (NDArray o : owners) {
      if (o.isReleased()) {
        throw new IllegalStateException("the sparse feed-forward's weights are closed");
      }
    }
  }

  /** Model width d. */
  int width() {
    return d;
  }

  /** logits = (x A) B + bias, the controller's (f) scores of one token x (d). */
  float[] controller(float[] x) {
    checkOpen();
    float[] h = new float[rank];
    vecMat(x, a, d, rank, h);
    float[] logits = new float[dFf];
    MemorySegment.copy(bias, FLOAT, 0, logits, 0, dFf);
    vecMat(h, b, rank, dFf, logits);
    return logits;
  }

  /**
   * y = sum_b relu(W1[u_b] . x) W2[u_b] over the blocks b, u_b = b N + chosen[b]; a unit whose relu
   * is 0 adds nothing, so its W2 row is not read.
   */
  float[] units(float[] x, int[] chosen) {
    checkOpen();
    float[] act = new float[blocks];
    long[] rows = new long[blocks];
    int g = 0;
    for (; g + 4 <= blocks; g += 4) {
      dot4(x, g, chosen, act);
    }
    for (; g < blocks; g++) {
      act[g] = dot(w1, rowOffset(g, chosen[g]), x);
    }
    // The active units (relu > 0, or NaN, which relu keeps) in block order.
    int k = 0;
    for (g = 0; g < blocks; g++) {
      float v = act[g];
      if (!(v <= 0f)) {
        act[k] = v;
        rows[k] = rowOffset(g, chosen[g]);
        k++;
      }
    }
    float[] y = new float[d];
    int j = 0;
    for (; j + 4 <= k; j += 4) {
      axpy4(act, rows, j, y);
    }
    for (; j < k; j++) {
      axpy(act[j], w2, rows[j], y);
    }
    return y;
  }

  /**
   * {@link SparseFeedForward#blockArgmax} with vectors where a block is a whole number of vectors:
   * the block's maximum, then its first lane equal to it; a block with a NaN (the maximum by
   * PyTorch's rule) goes through the scalar rule.
   */
  static int[] blockArgmax(float[] values, int blockSize) {
    if (blockSize < L || blockSize % L != 0) {
      return SparseFeedForward.blockArgmax(values, blockSize);
    }
    int[] out = new int[values.length / blockSize];
    for (int g = 0; g < out.length; g++) {
      int off = g * blockSize;
      FloatVector m = FloatVector.fromArray(S, values, off);
      for (int q = L; q < blockSize; q += L) {
        m = m.max(FloatVector.fromArray(S, values, off + q));
      }
      float max = m.reduceLanes(VectorOperators.MAX);
      if (Float.isNaN(max)) {
        out[g] =
            SparseFeedForward.blockArgmax(
                java.util.Arrays.copyOfRange(values, off, off + blockSize), blockSize)[0];
        continue;
      }
      int q = 0;
      while (true) {
        int first = FloatVector.fromArray(S, values, off + q).eq(max).firstTrue();
        if (first < L) {
          out[g] = q + first;
          break;
        }
        q += L;
      }
    }
    return out;
  }

  private long rowOffset(int block, int unit) {
    return 4L * d * ((long) block * blockSize + unit);
  }

  /** out += x M for M (rows, cols) row-major: four rows of M per pass over out. */
  private static void vecMat(float[] x, MemorySegment m, int rows, int cols, float[] out) {
    long rowBytes = 4L * cols; // out.length == cols
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      long o0 = i * rowBytes;
      long o1 = o0 + rowBytes;
      long o2 = o1 + rowBytes;
      long o3 = o2 + rowBytes;
      axpy4(m, o0, o1, o2, o3, x[i], x[i + 1], x[i + 2], x[i + 3], out);
    }
    for (; i < rows; i++) {
      axpy(x[i], m, i * rowBytes, out);
    }
  }

  /** y += s M[row], the row starting at byte offset {@code off} of m, of length y.length. */
  private static void axpy(float s, MemorySegment m, long off, float[] y) {
    int n = y.length;
    int upper = S.loopBound(n);
    FloatVector sv = FloatVector.broadcast(S, s);
    int j = 0;
    for (; j < upper; j += L) {
      FloatVector acc = FloatVector.fromArray(S, y, j);
      FloatVector.fromMemorySegment(S, m, off + 4L * j, ORDER).fma(sv, acc).intoArray(y, j);
    }
    for (; j < n; j++) {
      y[j] = Math.fma(m.get(FLOAT, off + 4L * j), s, y[j]);
    }
  }

  /** y += sum over four active units j..j+3 of act[u] W2[row u]. */
  private void axpy4(float[] act, long[] rows, int j, float[] y) {
    axpy4(
        w2,
        rows[j],
        rows[j + 1],
        rows[j + 2],
        rows[j + 3],
        act[j],
        act[j + 1],
        act[j + 2],
        act[j + 3],
        y);
  }

  /**
   * y += s0 M[o0] + s1 M[o1] + s2 M[o2] + s3 M[o3], four rows of m at byte offsets o0..o3, each of
   * length y.length; one pass over y, the four products added in that order.
   */
  private static void axpy4(
      MemorySegment m,
      long o0,
      long o1,
      long o2,
      long o3,
      float s0,
      float s1,
      float s2,
      float s3,
      float[] y) {
    FloatVector v0 = FloatVector.broadcast(S, s0);
    FloatVector v1 = FloatVector.broadcast(S, s1);
    FloatVector v2 = FloatVector.broadcast(S, s2);
    FloatVector v3 = FloatVector.broadcast(S, s3);
    int n = y.length;
    int upper = S.loopBound(n);
    int c = 0;
    for (; c < upper; c += L) {
      long cb = 4L * c;
      FloatVector acc = FloatVector.fromArray(S, y, c);
      acc = FloatVector.fromMemorySegment(S, m, o0 + cb, ORDER).fma(v0, acc);
      acc = FloatVector.fromMemorySegment(S, m, o1 + cb, ORDER).fma(v1, acc);
      acc = FloatVector.fromMemorySegment(S, m, o2 + cb, ORDER).fma(v2, acc);
      acc = FloatVector.fromMemorySegment(S, m, o3 + cb, ORDER).fma(v3, acc);
      acc.intoArray(y, c);
    }
    for (; c < n; c++) {
      long cb = 4L * c;
      float acc = y[c];
      acc = Math.fma(m.get(FLOAT, o0 + cb), s0, acc);
      acc = Math.fma(m.get(FLOAT, o1 + cb), s1, acc);
      acc = Math.fma(m.get(FLOAT, o2 + cb), s2, acc);
      acc = Math.fma(m.get(FLOAT, o3 + cb), s3, acc);
      y[c] = acc;
    }
  }

  /** W1[row] . x for the row at byte offset {@code off}. */
  private float dot(MemorySegment m, long off, float[] x) {
    int upper = S.loopBound(d);
    FloatVector acc = FloatVector.zero(S);
    int c = 0;
    for (; c < upper; c += L) {
      acc =
          FloatVector.fromMemorySegment(S, m, off + 4L * c, ORDER)
              .fma(FloatVector.fromArray(S, x, c), acc);
    }
    float sum = acc.reduceLanes(VectorOperators.ADD);
    for (; c < d; c++) {
      sum = Math.fma(m.get(FLOAT, off + 4L * c), x[c], sum);
    }
    return sum;
  }

  /** act[g..g+3] = W1[u] . x for the chosen units of blocks g..g+3: four rows read together. */
  private void dot4(float[] x, int g, int[] chosen, float[] act) {
    long o0 = rowOffset(g, chosen[g]);
    long o1 = rowOffset(g + 1, chosen[g + 1]);
    long o2 = rowOffset(g + 2, chosen[g + 2]);
    long o3 = rowOffset(g + 3, chosen[g + 3]);
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int upper = S.loopBound(d);
    int c = 0;
    for (; c < upper; c += L) {
      long cb = 4L * c;
      FloatVector xv = FloatVector.fromArray(S, x, c);
      a0 = FloatVector.fromMemorySegment(S, w1, o0 + cb, ORDER).fma(xv, a0);
      a1 = FloatVector.fromMemorySegment(S, w1, o1 + cb, ORDER).fma(xv, a1);
      a2 = FloatVector.fromMemorySegment(S, w1, o2 + cb, ORDER).fma(xv, a2);
      a3 = FloatVector.fromMemorySegment(S, w1, o3 + cb, ORDER).fma(xv, a3);
    }
    float s0 = a0.reduceLanes(VectorOperators.ADD);
    float s1 = a1.reduceLanes(VectorOperators.ADD);
    float s2 = a2.reduceLanes(VectorOperators.ADD);
    float s3 = a3.reduceLanes(VectorOperators.ADD);
    for (; c < d; c++) {
      long cb = 4L * c;
      float xc = x[c];
      s0 = Math.fma(w1.get(FLOAT, o0 + cb), xc, s0);
      s1 = Math.fma(w1.get(FLOAT, o1 + cb), xc, s1);
      s2 = Math.fma(w1.get(FLOAT, o2 + cb), xc, s2);
      s3 = Math.fma(w1.get(FLOAT, o3 + cb), xc, s3);
    }
    act[g] = s0;
    act[g + 1] = s1;
    act[g + 2] = s2;
    act[g + 3] = s3;
  }
}
