package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** The attention sub-layer of a block, over normalised input. */
public interface Attention {
  /**
   * @param layer this block's index (its slot in the cache)
   * @param h normalised input (B, T, d)
   * @return (B, T, d)
   */
  NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace);

  /**
   * Causal scaled dot-product attention of q (B, H, T, h) over k, v (B, G, T, h), G key/value heads
   * (G divides H; query head j reads key/value head j / (H / G)). With a cache the new keys and
   * values are written at [start, start + T) and attention covers every filled position.
   *
   * @return (B, T, H * h)
   */
  static NDArray attend(
      int layer, NDArray q, NDArray k, NDArray v, NDArray scale, Pass pass, LayerTrace trace) {
    long b = q.getShape().get(0);
    long heads = q.getShape().get(1);
    long t = q.getShape().get(2);
    long hd = q.getShape().get(3);
    long kvHeads = k.getShape().get(1);
    KvCache cache = pass.cache();
    if (cache != null) {
      int start = pass.start();
      // Indices built, not parsed from strings (parsing costs more than the copy at T = 1).
      NDIndex fresh = new NDIndex().addAllDim(2).addSliceDim(start, start + t);
      cache.keys(layer).set(fresh, k);
      cache.values(layer).set(fresh, v);
      NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, start + t);
      k = cache.keys(layer).get(filled); // (1, G, S, h)
      v = cache.values(layer).get(filled);
    }
    long s = k.getShape().get(2);
    long group = heads / kvHeads;
    boolean collect = trace != null && pass.options().collectAttention();
    NDArray att;
    NDArray o = null;
    if (group == 1
        && cache == null
        && pass.mask() != null
        && t == s
        && t >= SPLIT_FROM
        && t % 2 == 0
        && !collect
        && !pass.options().training()) {
      o = causalHalves(q, k, v, scale, pass.mask(), t);
      att = null;
    } else if (group == 1) {
      NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // (B, H, T, S)
      if (pass.mask() != null) {
        scores = scores.add(pass.mask());
      }
      att = scores.softmax(-1);
    } else {
      // Grouped queries: (B, G, H/G, T, h) against (B, G, 1, h, S), broadcast over the group.
      NDArray scores =
          q.reshape(b, kvHeads, group, t, hd)
              .matMul(k.expandDims(2).transpose(0, 1, 2, 4, 3))
              .mul(scale); // (B, G, H/G, T, S)
      if (pass.mask() != null) {
        scores = scores.add(pass.mask());
      }
      att = scores.softmax(-1).reshape(b, heads, t, s); // (B, H, T, S)
    }
    if (collect) {
      // The last query row of every head; contiguous as it is when T = 1.
      NDArray last = t == 1 ? att : att.get(new NDIndex("0:1, :, -1:, :"));
      trace.attention = Floats.rows(last, (int) heads);
    }
    if (o != null) {
      // computed in halves
    } else if (group == 1) {
      o = att.matMul(v); // (B, H, T, h)
    } else {
      o = att.reshape(b, kvHeads, group, t, s).matMul(v.expandDims(2)).reshape(b, heads, t, hd);
    }
    org.sparsityworkbench.engine.intervention.Interventions.Layer iv =
        pass.options().interventions().at(layer);
    if (iv != null && iv.headsOff() != null) {
      // Heads turned off: their output is zeroed before the output projection.
      float[] keep = new float[(int) heads];
      for (int h = 0; h < heads; h++) {
        keep[h] = iv.headsOff()[h] ? 0f : 1f;
      }
      o = o.mul(o.getManager().create(keep, new ai.djl.ndarray.types.Shape(1, heads, 1, 1)));
    }
    return o.transpose(0, 2, 1, 3).reshape(b, t, heads * hd); // (B, T, H h)
  }

  /** From this many positions on, a causal pass over a whole window is computed in halves. */
  long SPLIT_FROM = 128;

  /**
   * Causal attention of a whole window (T queries over the same T positions) in two halves: the
   * first T/2 queries can only see the first T/2 positions, so their scores are (T/2 x T/2) instead
   * of (T/2 x T); the second half sees them all. A quarter of the products, the softmax and the
   * mask is never computed; what is skipped is exactly what the mask zeroes. Inference only (the
   * corpus analysis's windows, a long prompt's prefill); q is scaled before the product.
   *
   * @return (B, H, T, h)
   */
  private static NDArray causalHalves(
      NDArray q, NDArray k, NDArray v, NDArray scale, NDArray mask, long t) {
    long h = t / 2;
    NDIndex first = new NDIndex().addAllDim(2).addSliceDim(0, h);
    NDIndex second = new NDIndex().addAllDim(2).addSliceDim(h, t);
    NDArray qs = q.mul(scale);
    NDArray o1 =
        qs.get(first)
            .matMul(k.get(first).transpose(0, 1, 3, 2))
            .add(mask.get(new NDIndex().addSliceDim(0, h).addSliceDim(0, h)))
            .softmax(-1)
            .matMul(v.get(first));
    NDArray o2 =
        qs.get(second)
            .matMul(k.transpose(0, 1, 3, 2))
            .add(mask.get(new NDIndex().addSliceDim(h, t)))
            .softmax(-1)
            .matMul(v);
    return o1.concat(o2, 2);
  }
}
