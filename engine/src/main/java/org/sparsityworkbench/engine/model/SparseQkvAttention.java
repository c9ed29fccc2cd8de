package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.sparsityworkbench.engine.spec.AttentionSpec;

/**
 * Scaling Transformers sparse QKV (trax MultiplicativeConvCausalAttention): a multiplicative dense
 * layer shared by Q, K and V, m[t, n] = ((h_t * gate_n) proj) + proj_bias[n] for modules n = 0..S-1
 * (each of width c = d / S), then causal convolutions over (positions, modules): Q and K with
 * kernel (conv_kernel, 3), V with kernel (conv_kernel, 1). Positions before the first are zeros;
 * during decode the last conv_kernel - 1 values of m are the layer's convolution state. No output
 * projection (trax has none).
 */
public final class SparseQkvAttention implements Attention {
  private final AttentionSpec.SparseQkv spec;
  private final NDArray gate; // (S, d)
  private final NDArray proj; // (d, c)
  private final NDArray projBias; // (d) = (S, c)
  private final NDArray convQk; // (lk 3 c, 2c)
  private final NDArray convQkBias;
  private final NDArray convV; // (lk c, c)
  private final NDArray convVBias;
  private final NDArray scale;

  public SparseQkvAttention(
      AttentionSpec.SparseQkv spec,
      NDArray gate,
      NDArray proj,
      NDArray projBias,
      NDArray convQk,
      NDArray convQkBias,
      NDArray convV,
      NDArray convVBias,
      NDArray scale) {
    this.spec = spec;
    this.gate = gate;
    this.proj = proj;
    this.projBias = projBias;
    this.convQk = convQk;
    this.convQkBias = convQkBias;
    this.convV = convV;
    this.convVBias = convVBias;
    this.scale = scale;
    if (spec.convKernel() > 1) {
      int s = spec.modules();
      indices(s, Math.toIntExact(gate.getShape().get(1)) / s, spec.convKernel());
    }
  }

  /**
   * Whether a decode step gathers its convolution windows in one call ({@link #decodeQkv}); the
   * system property {@code workbench.sparse.gather=false} keeps the slices (to measure both).
   */
  static final boolean GATHER =
      !"false".equalsIgnoreCase(System.getProperty("workbench.sparse.gather"));

  /** One zero, appended to a decode step's inputs: what the convolution reads past the modules. */
  private NDArray zero;

  /**
   * Where a decode step's convolution inputs lie in its flat inputs (see {@link #decodeQkv}); built
   * with the layer.
   */
  private NDArray qkIndex;

  private NDArray vIndex;

  @Override
  public NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace) {
    Shape shape = h.getShape();
    org.sparsityworkbench.engine.intervention.Interventions.Layer iv =
        pass.options().interventions().at(layer);
    boolean[] off = iv == null ? null : iv.modulesOff();
    if (GATHER
        && shape.get(0) == 1
        && shape.get(1) == 1
        && pass.cache() != null
        && spec.convKernel() > 1) {
      NDArray[] qkv = decodeQkv(layer, h, pass.cache(), trace, off); // 3 x (1, H, 1, h)
      return Attention.attend(layer, qkv[0], qkv[1], qkv[2], scale, pass, trace);
    }
    NDArray[] qkv = qkv(layer, h, pass.cache(), trace, off); // 3 x (B, T, d)
    return Attention.attend(layer, heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), scale, pass, trace);
  }

  /**
   * The decode step (one token, B = 1, with the cache) of {@link #qkv} in fewer native calls: the
   * convolution windows of every module are one {@code take} from the flat (state, new) inputs with
   * a trailing zero, by an index built once, instead of twelve slices, two paddings and two stacks.
   * The same products and sums as {@link #qkv} (tested equal).
   *
   * @return q, k, v as (1, H, 1, h)
   */
  private NDArray[] decodeQkv(
      int layer, NDArray h, KvCache cache, LayerTrace trace, boolean[] off) {
    int d = Math.toIntExact(h.getShape().get(2));
    int s = spec.modules();
    int c = d / s;
    int lk = spec.convKernel();
    NDArray m = off(off, modules(h, trace, s, c), trace); // (1, 1, S, c)
    NDArray state = cache.convState(layer); // (1, lk - 1, S, c)
    NDArray padded = state.concat(m, 1); // (1, lk, S, c)
    // Keep the last lk - 1 inputs for the next step (copied in place into the state).
    state.set(new NDIndex().addAllDim(), padded.get(new NDIndex().addAllDim().addSliceDim(1, lk)));
    NDArray flat = padded.reshape(-1).concat(zero); // lk S c inputs, then the zero
    NDArray qk = flat.take(qkIndex).matMul(convQk).add(convQkBias); // (S, 2c)
    NDArray v = flat.take(vIndex).matMul(convV).add(convVBias); // (S, c)
    long heads = spec.heads();
    long hd = spec.headDim();
    // (S, c) rows in module order are the (B, T, d) layout; with T = 1, (1, H, 1, h) is a reshape.
    return new NDArray[] {
      qk.get(new NDIndex().addAllDim().addSliceDim(0, c)).reshape(1, heads, 1, hd),
      qk.get(new NDIndex().addAllDim().addSliceDim(c, 2L * c)).reshape(1, heads, 1, hd),
      v.reshape(1, heads, 1, hd)
    };
  }

  /**
   * The index of every convolution input of a decode step in its flat inputs (lk x S x c values by
   * (position, module, channel), then one zero at lk S c): for Q and K, module n's features in
   * conv_qk's row order (a, j, channel) read module n + j - 1 at window position a, or the zero
   * past the first and last module; for V, (a, channel) of module n.
   */
  private void indices(int s, int c, int lk) {
    ai.djl.ndarray.NDManager owner = gate.getManager();
    long zeroAt = (long) lk * s * c;
    long[] qk = new long[s * lk * 3 * c];
    long[] v = new long[s * lk * c];
    for (int n = 0; n < s; n++) {
      for (int a = 0; a < lk; a++) {
        for (int j = 0; j < 3; j++) {
          int module = n + j - 1;
          for (int ch = 0; ch < c; ch++) {
            qk[((n * lk + a) * 3 + j) * c + ch] =
                module < 0 || module >= s ? zeroAt : ((long) a * s + module) * c + ch;
          }
        }
        for (int ch = 0; ch < c; ch++) {
          v[(n * lk + a) * c + ch] = ((long) a * s + n) * c + ch;
        }
      }
    }
    qkIndex = owner.create(qk, new Shape(s, (long) lk * 3 * c));
    vIndex = owner.create(v, new Shape(s, (long) lk * c));
    zero = owner.zeros(new Shape(1), gate.getDataType());
    // They live as long as the weights, also when the layer is built inside a step's scope.
    ai.djl.ndarray.NDScope.unregister(qkIndex, vIndex, zero);
  }

  /** The modules an intervention turned off, zeroed: (B, T, S, c); {@code off} null for none. */
  private static NDArray off(boolean[] off, NDArray m, LayerTrace trace) {
    if (off == null) {
      return m;
    }
    float[] keep = new float[off.length];
    for (int i = 0; i < off.length; i++) {
      keep[i] = off[i] ? 0f : 1f;
      if (off[i] && trace != null && trace.qkvModules != null) {
        trace.qkvModules[i] = 0f; // the telemetry shows what the module gave: nothing
      }
    }
    return m.mul(m.getManager().create(keep, new Shape(1, 1, off.length, 1)));
  }

  /**
   * m = (h * gate_n) proj + proj_bias_n for every module n: (B, T, S, c); traced for the newest.
   */
  private NDArray modules(NDArray h, LayerTrace trace, int s, int c) {
    NDArray m =
        h.expandDims(2)
            .mul(gate) // (B, T, S, d)
            .matMul(proj) // (B, T, S, c)
            .add(projBias.reshape(s, c)); // a view made per call: training updates the bias
    if (trace != null) {
      // One copy of the newest position's modules (S, c); the RMS is computed here, in Java
      // (three native calls fewer per layer and token).
      long t = h.getShape().get(1);
      float[] last = Floats.of(t == 1 ? m : m.get(new NDIndex("0, -1, :, :"))); // decode: T = 1
      float[] rms = new float[s];
      for (int i = 0; i < s; i++) {
        double sum = 0;
        for (int j = 0; j < c; j++) {
          float v = last[i * c + j];
          sum += (double) v * v;
        }
        rms[i] = (float) Math.sqrt(sum / c);
      }
      trace.qkvModules = rms;
    }
    return m;
  }

  /** (B, T, d) -> (B, H, T, h). */
  private NDArray heads(NDArray x) {
    Shape s = x.getShape();
    return x.reshape(s.get(0), s.get(1), spec.heads(), spec.headDim()).transpose(0, 2, 1, 3);
  }

  /** q, k, v, each (B, T, d). */
  private NDArray[] qkv(int layer, NDArray h, KvCache cache, LayerTrace trace, boolean[] off) {
    Shape shape = h.getShape();
    long b = shape.get(0);
    long t = shape.get(1);
    long d = shape.get(2);
    int s = spec.modules();
    int c = (int) (d / s);
    int lk = spec.convKernel();
    NDArray m = off(off, modules(h, trace, s, c), trace);
    NDArray padded = m; // (B, lk - 1 + T, S, c)
    if (lk > 1) {
      NDArray before =
          cache != null
              ? cache.convState(layer)
              : m.getManager().zeros(new Shape(b, lk - 1, s, c), m.getDataType());
      padded = before.concat(m, 1);
      if (cache != null) {
        // Keep the last lk - 1 inputs for the next step (copied in place into the state).
        cache
            .convState(layer)
            .set(new NDIndex(":, :, :, :"), padded.get(new NDIndex(":, -" + (lk - 1) + ":, :, :")));
      }
    }
    // Zero module padding on both sides for the width-3 kernel of Q and K.
    NDArray zeros = padded.getManager().zeros(new Shape(b, lk - 1 + t, 1, c), padded.getDataType());
    NDArray wide = zeros.concat(padded, 2).concat(zeros, 2); // (B, lk - 1 + T, S + 2, c)
    NDList qkWindows = new NDList();
    NDList vWindows = new NDList();
    for (int a = 0; a < lk; a++) {
      for (int j = 0; j < 3; j++) {
        qkWindows.add(wide.get(new NDIndex(":, {}:{}, {}:{}, :", a, a + t, j, j + s)));
      }
      vWindows.add(padded.get(new NDIndex(":, {}:{}, :, :", a, a + t)));
    }
    // Rows of conv_qk are ordered (a, j, channel); of conv_v (a, channel).
    NDArray qk =
        NDArrays.stack(qkWindows, 3) // (B, T, S, lk * 3, c)
            .reshape(b, t, s, (long) lk * 3 * c)
            .matMul(convQk)
            .add(convQkBias); // (B, T, S, 2c)
    NDArray v =
        NDArrays.stack(vWindows, 3) // (B, T, S, lk, c)
            .reshape(b, t, s, (long) lk * c)
            .matMul(convV)
            .add(convVBias); // (B, T, S, c)
    return new NDArray[] {
      qk.get(new NDIndex(":, :, :, :{}", c)).reshape(b, t, d),
      qk.get(new NDIndex(":, :, :, {}:", c)).reshape(b, t, d),
      v.reshape(b, t, d)
    };
  }
}
