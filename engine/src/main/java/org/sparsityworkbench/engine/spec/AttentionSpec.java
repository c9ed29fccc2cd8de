package org.sparsityworkbench.engine.spec;

/** The attention sub-layer of a block. */
public sealed interface AttentionSpec {
  /** Query heads. */
  int heads();

  /** Width of one head. */
  int headDim();

  /** Heads of keys and values (equal to heads, or fewer for grouped-query attention). */
  int kvHeads();

  /** Where a query/key RMSNorm is applied, if any. */
  enum QkNorm {
    /** None (llama, qwen2, mixtral, granite). */
    NONE,
    /** Over the whole projection, before the split into heads (OLMoE). */
    PROJECTION,
    /** Over each head's head_dim (Qwen3, Qwen3-MoE). */
    HEAD
  }

  /**
   * Causal scaled dot-product attention. Query head j uses key/value head j / (heads / kvHeads)
   * (Hugging Face's repeat_kv).
   *
   * @param scale the factor of q.k (1/sqrt(headDim), or Granite's attention_multiplier)
   * @param qkvBias q, k and v projections have biases
   * @param outBias the output projection has a bias
   */
  record MultiHead(
      int heads,
      int kvHeads,
      int headDim,
      double scale,
      boolean qkvBias,
      boolean outBias,
      QkNorm qkNorm)
      implements AttentionSpec {
    public MultiHead {
      if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0) {
        throw new IllegalArgumentException(
            "attention heads " + heads + " must be a multiple of key/value heads " + kvHeads);
      }
      if (headDim < 1) {
        throw new IllegalArgumentException("head_dim = " + headDim + ": must be >= 1");
      }
    }
  }

  /**
   * Scaling Transformers' sparse QKV (multiplicative layer with S modules, then a causal
   * convolution over positions and modules); no output projection.
   */
  record SparseQkv(int heads, int headDim, int modules, int convKernel) implements AttentionSpec {
    @Override
    public int kvHeads() {
      return heads;
    }
  }
}
