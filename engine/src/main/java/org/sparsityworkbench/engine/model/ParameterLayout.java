package org.sparsityworkbench.engine.model;

import java.util.ArrayList;
import java.util.List;
import org.sparsityworkbench.engine.config.ModelConfig;

/**
 * The tensors of a model: names and shapes, in file order. The single source of truth for loading,
 * saving, initialisation and parameter counts; {@code docs/models.md} documents the same table.
 *
 * <p>Linear maps of the attention are stored (in, out) so that y = x W. Feed-forward matrices are
 * stored (d_ff, d): W1's rows are the hidden units' input weights (h = relu(x W1^T)) and W2's rows
 * their output weights (y = h W2), so that one unit is one contiguous row in both, which is what
 * the sparse families gather.
 */
public final class ParameterLayout {
  private ParameterLayout() {}

  /** Roles of the tensors, for counting active parameters. */
  public enum Role {
    EMBEDDING,
    POSITION,
    NORM,
    ATTENTION,
    FFN,
    ROUTER,
    EXPERT,
    /** Sparse FF units: one row of W1 and W2 per block is active. */
    SPARSE_FFN,
    CONTROLLER
  }

  /** One tensor: name, shape and role. */
  public record Param(String name, long[] shape, Role role) {
    /** Number of elements. */
    public long numel() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  /** Name of a per-layer tensor. */
  public static String layer(int i, String suffix) {
    return "layers." + i + "." + suffix;
  }

  /** Every tensor of a model of this configuration. */
  public static List<Param> of(ModelConfig c) {
    long d = c.dModel();
    long f = c.dFf();
    List<Param> ps = new ArrayList<>();
    ps.add(new Param("embed.weight", new long[] {c.vocabSize(), d}, Role.EMBEDDING));
    ps.add(new Param("pos_embed.weight", new long[] {c.contextLength(), d}, Role.POSITION));
    for (int i = 0; i < c.nLayers(); i++) {
      ps.add(new Param(layer(i, "attn_norm.weight"), new long[] {d}, Role.NORM));
      if (c.family().hasSparseQkv()) {
        long s = c.qkvModules();
        long m = c.moduleDim();
        long k = c.convKernel();
        ps.add(new Param(layer(i, "attn.gate"), new long[] {s, d}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.proj"), new long[] {d, m}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.proj_bias"), new long[] {d}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.conv_qk"), new long[] {k * 3 * m, 2 * m}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.conv_qk_bias"), new long[] {2 * m}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.conv_v"), new long[] {k * m, m}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.conv_v_bias"), new long[] {m}, Role.ATTENTION));
      } else {
        ps.add(new Param(layer(i, "attn.wqkv"), new long[] {d, 3 * d}, Role.ATTENTION));
        ps.add(new Param(layer(i, "attn.wo"), new long[] {d, d}, Role.ATTENTION));
      }
      ps.add(new Param(layer(i, "ffn_norm.weight"), new long[] {d}, Role.NORM));
      if (c.family().hasSparseFf()) {
        long r = c.controllerRank();
        ps.add(new Param(layer(i, "ffn.ctrl_a"), new long[] {d, r}, Role.CONTROLLER));
        ps.add(new Param(layer(i, "ffn.ctrl_b"), new long[] {r, f}, Role.CONTROLLER));
        ps.add(new Param(layer(i, "ffn.ctrl_bias"), new long[] {f}, Role.CONTROLLER));
        ps.add(new Param(layer(i, "ffn.w1"), new long[] {f, d}, Role.SPARSE_FFN));
        ps.add(new Param(layer(i, "ffn.w2"), new long[] {f, d}, Role.SPARSE_FFN));
      } else if (c.family().isMoe()) {
        long e = c.numExperts();
        ps.add(new Param(layer(i, "moe.router"), new long[] {d, e}, Role.ROUTER));
        ps.add(new Param(layer(i, "moe.w1"), new long[] {e, f, d}, Role.EXPERT));
        ps.add(new Param(layer(i, "moe.w2"), new long[] {e, f, d}, Role.EXPERT));
      } else {
        ps.add(new Param(layer(i, "ffn.w1"), new long[] {f, d}, Role.FFN));
        ps.add(new Param(layer(i, "ffn.w2"), new long[] {f, d}, Role.FFN));
      }
    }
    ps.add(new Param("final_norm.weight", new long[] {d}, Role.NORM));
    return ps;
  }

  /** Total number of parameters. */
  public static long total(ModelConfig c) {
    return of(c).stream().mapToLong(Param::numel).sum();
  }

  /**
   * Parameters one token uses: all but the unchosen experts (k of E expert feed-forwards count).
   * The embedding counts once (it is also the tied output head); positions count one row.
   */
  public static long activePerToken(ModelConfig c) {
    long n = 0;
    for (Param p : of(c)) {
      n +=
          switch (p.role()) {
            case EXPERT -> p.numel() / c.numExperts() * c.topK();
            case SPARSE_FFN -> p.numel() / c.dFf() * c.blocks();
            case POSITION -> c.dModel();
            default -> p.numel();
          };
    }
    return n;
  }

  /**
   * Floating-point operations (multiply and add counted as 2) to decode one token at 0-based
   * position {@code pos}: every matrix product plus attention over pos+1 keys.
   */
  public static long flopsPerToken(ModelConfig c, int pos) {
    long d = c.dModel();
    long f = c.dFf();
    long perLayer = 2L * 2 * d * (pos + 1);
    if (c.family().hasSparseQkv()) {
      long m = c.moduleDim();
      long s = c.qkvModules();
      long k = c.convKernel();
      // gating (S x d products), projection (S x d x m = d^2), convolutions for q, k and v
      perLayer += s * d + 2 * d * d + 2 * s * (k * 3 * m) * 2 * m + 2 * s * (k * m) * m;
    } else {
      perLayer += 2 * d * 3 * d + 2 * d * d;
    }
    if (c.family().hasSparseFf()) {
      long r = c.controllerRank();
      perLayer += 2 * d * r + 2 * r * f + 2L * 2 * d * c.blocks();
    } else if (c.family().isMoe()) {
      perLayer += 2 * d * c.numExperts() + (long) c.topK() * 2 * 2 * d * f;
    } else {
      perLayer += 2 * 2 * d * f;
    }
    return c.nLayers() * perLayer + 2 * d * c.vocabSize();
  }
}
