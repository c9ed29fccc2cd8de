package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding in Hugging Face's "rotate half" layout: for head width h, inverse
 * frequencies f_i = 1 / theta^(2i/h), i = 0..h/2-1 (computed in float32, as transformers does); at
 * position p, x' = x * cos(p f) + rotate_half(x) * sin(p f), where the angle vector is (p f, p f)
 * (the h/2 angles twice) and rotate_half(x) = (-x[h/2:], x[:h/2]).
 */
public final class Rotary {
  private final int headDim;
  private final float[] invFreq;
  // Built once: an index parsed from a string costs more than the slice itself.
  private final NDIndex firstHalf;
  private final NDIndex secondHalf;

  public Rotary(double theta, int headDim) {
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("rotary needs an even head_dim, got " + headDim);
    }
    this.headDim = headDim;
    this.invFreq = new float[headDim / 2];
    this.firstHalf = new NDIndex().addEllipseDim().addSliceDim(0, headDim / 2);
    this.secondHalf = new NDIndex().addEllipseDim().addSliceDim(headDim / 2, headDim);
    for (int i = 0; i < invFreq.length; i++) {
      invFreq[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / headDim));
    }
  }

  /** cos and sin (T, h) of positions start..start+T-1, and the rotary they came from. */
  public record Angles(NDArray cos, NDArray sin, Rotary rotary) {
    /** Rotates x (B, heads, T, h) by these angles. */
    public NDArray apply(NDArray x) {
      return rotary.rotate(x, this);
    }
  }

  Angles angles(NDManager m, int start, int t) {
    float[] c = new float[t * headDim];
    float[] s = new float[t * headDim];
    int half = headDim / 2;
    for (int p = 0; p < t; p++) {
      for (int i = 0; i < half; i++) {
        float a = (float) (start + p) * invFreq[i];
        float cv = (float) Math.cos(a);
        float sv = (float) Math.sin(a);
        c[p * headDim + i] = cv;
        c[p * headDim + half + i] = cv;
        s[p * headDim + i] = sv;
        s[p * headDim + half + i] = sv;
      }
    }
    return new Angles(m.create(c, new Shape(t, headDim)), m.create(s, new Shape(t, headDim)), this);
  }

  private NDArray rotate(NDArray x, Angles a) {
    NDArray first = x.get(firstHalf);
    NDArray second = x.get(secondHalf);
    NDArray rotated = second.neg().concat(first, -1);
    return x.mul(a.cos()).add(rotated.mul(a.sin()));
  }
}
