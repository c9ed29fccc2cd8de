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
  }

  @Override
  public NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace) {
    NDArray[] qkv = qkv(layer, h, pass.cache(), trace); // 3 x (B, T, d)
    return Attention.attend(layer, heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), scale, pass, trace);
  }

  /** (B, T, d) -> (B, H, T, h). */
  private NDArray heads(NDArray x) {
    Shape s = x.getShape();
    return x.reshape(s.get(0), s.get(1), spec.heads(), spec.headDim()).transpose(0, 2, 1, 3);
  }

  /** q, k, v, each (B, T, d). */
  private NDArray[] qkv(int layer, NDArray h, KvCache cache, LayerTrace trace) {
    Shape shape = h.getShape();
    long b = shape.get(0);
    long t = shape.get(1);
    long d = shape.get(2);
    int s = spec.modules();
    int c = (int) (d / s);
    int lk = spec.convKernel();
    NDArray m =
        h.expandDims(2)
            .mul(gate) // (B, T, S, d)
            .matMul(proj) // (B, T, S, c)
            .add(projBias.reshape(s, c));
    if (trace != null) {
      // One copy of the newest position's modules (S, c); the RMS is computed here, in Java
      // (three native calls fewer per layer and token).
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
