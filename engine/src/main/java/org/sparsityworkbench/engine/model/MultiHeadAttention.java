package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import org.sparsityworkbench.engine.spec.AttentionSpec;

/**
 * Causal multi-head (or grouped-query) attention: one fused projection to q (H h), k (G h) and v (G
 * h), optional query/key RMSNorm (over the whole projection or per head), optional rotary
 * positions, attention ({@link Attention#attend}), output projection.
 */
public final class MultiHeadAttention implements Attention {
  private final AttentionSpec.MultiHead spec;
  private final Linear qkv;
  private final Linear q;
  private final Linear k;
  private final Linear v;
  private final Linear out;
  private final RmsNorm qNorm;
  private final RmsNorm kNorm;
  private final boolean rotary;
  private final NDArray scale;

  /**
   * @param qkv the fused projection to H h + 2 G h outputs (q first, then k, then v: the native
   *     families' wqkv)
   * @param qNorm, kNorm the query/key norms of {@code spec.qkNorm()}, or null
   * @param rotary apply the pass's rotary angles to q and k
   * @param scale the factor of q.k as a scalar array
   */
  public MultiHeadAttention(
      AttentionSpec.MultiHead spec,
      Linear qkv,
      Linear out,
      RmsNorm qNorm,
      RmsNorm kNorm,
      boolean rotary,
      NDArray scale) {
    this(spec, qkv, null, null, null, out, qNorm, kNorm, rotary, scale);
  }

  /** With separate q, k and v projections (Hugging Face's q_proj, k_proj, v_proj). */
  public MultiHeadAttention(
      AttentionSpec.MultiHead spec,
      Linear q,
      Linear k,
      Linear v,
      Linear out,
      RmsNorm qNorm,
      RmsNorm kNorm,
      boolean rotary,
      NDArray scale) {
    this(spec, null, q, k, v, out, qNorm, kNorm, rotary, scale);
  }

  private MultiHeadAttention(
      AttentionSpec.MultiHead spec,
      Linear qkv,
      Linear q,
      Linear k,
      Linear v,
      Linear out,
      RmsNorm qNorm,
      RmsNorm kNorm,
      boolean rotary,
      NDArray scale) {
    this.spec = spec;
    this.qkv = qkv;
    this.q = q;
    this.k = k;
    this.v = v;
    this.out = out;
    this.qNorm = qNorm;
    this.kNorm = kNorm;
    this.rotary = rotary;
    this.scale = scale;
  }

  @Override
  public NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace) {
    long b = h.getShape().get(0);
    long t = h.getShape().get(1);
    int heads = spec.heads();
    int kvHeads = spec.kvHeads();
    int hd = spec.headDim();
    long qDim = (long) heads * hd;
    long kvDim = (long) kvHeads * hd;
    NDArray q;
    NDArray k;
    NDArray v;
    if (qkv != null) {
      NDArray y = qkv.apply(h); // (B, T, H h + 2 G h)
      q = y.get(new NDIndex().addEllipseDim().addSliceDim(0, qDim));
      k = y.get(new NDIndex().addEllipseDim().addSliceDim(qDim, qDim + kvDim));
      v = y.get(new NDIndex().addEllipseDim().addSliceDim(qDim + kvDim, qDim + 2 * kvDim));
    } else {
      q = this.q.apply(h); // (B, T, H h)
      k = this.k.apply(h); // (B, T, G h)
      v = this.v.apply(h);
    }
    if (spec.qkNorm() == AttentionSpec.QkNorm.PROJECTION) {
      q = qNorm.apply(q);
      k = kNorm.apply(k);
    }
    q = q.reshape(b, t, heads, hd);
    k = k.reshape(b, t, kvHeads, hd);
    if (spec.qkNorm() == AttentionSpec.QkNorm.HEAD) {
      q = qNorm.apply(q);
      k = kNorm.apply(k);
    }
    q = q.transpose(0, 2, 1, 3); // (B, H, T, h)
    k = k.transpose(0, 2, 1, 3); // (B, G, T, h)
    v = v.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3); // (B, G, T, h)
    if (rotary) {
      q = pass.rotary().apply(q);
      k = pass.rotary().apply(k);
    }
    return out.apply(Attention.attend(layer, q, k, v, scale, pass, trace)); // (B, T, d)
  }
}
