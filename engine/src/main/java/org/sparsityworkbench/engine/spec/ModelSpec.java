package org.sparsityworkbench.engine.spec;

import java.util.List;
import java.util.Objects;

/**
 * The shape of a model as a composition of parts: what the engine builds, independent of where the
 * model came from (the workbench's own {@code config.json} with a {@code family}, or a Hugging Face
 * directory with a {@code model_type}). Every model is a decoder-only, pre-norm stack: embedding
 * (with optional learned positions), blocks of (norm, attention, norm, feed-forward), final norm,
 * output head.
 *
 * @param family the family's name ({@code dense}, {@code switch}, ..., {@code mixtral}, ...)
 * @param vocabSize rows of the embedding (may exceed the tokenizer's vocabulary: padding)
 * @param dModel width of the residual stream
 * @param contextLength the longest sequence the model takes
 * @param embedding how token ids become the residual stream
 * @param positions how positions enter (learned table added to the embedding, or rotary)
 * @param norm the normalisation used before every sub-layer and at the end
 * @param blocks one entry per layer, in order
 * @param head the output head
 * @param tokenizer where the tokenizer comes from
 */
public record ModelSpec(
    String family,
    int vocabSize,
    int dModel,
    int contextLength,
    EmbeddingSpec embedding,
    PositionSpec positions,
    NormSpec norm,
    List<BlockSpec> blocks,
    HeadSpec head,
    TokenizerSpec tokenizer) {

  public ModelSpec {
    Objects.requireNonNull(family);
    Objects.requireNonNull(embedding);
    Objects.requireNonNull(positions);
    Objects.requireNonNull(norm);
    Objects.requireNonNull(head);
    Objects.requireNonNull(tokenizer);
    blocks = List.copyOf(blocks);
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one block");
    }
  }

  /** Number of blocks. */
  public int layers() {
    return blocks.size();
  }

  /** The block of a layer. */
  public BlockSpec block(int layer) {
    return blocks.get(layer);
  }

  /** The largest number of routed experts in any layer (0 when no layer routes). */
  public int maxExperts() {
    int e = 0;
    for (BlockSpec b : blocks) {
      if (b.feedForward() instanceof FeedForwardSpec.Moe m) {
        e = Math.max(e, m.experts());
      }
    }
    return e;
  }

  /** True when some layer is a mixture of experts. */
  public boolean routed() {
    return maxExperts() > 0;
  }

  /** Sparse FF: units per block of the first sparse layer, or 0 when none is sparse. */
  public int sparseBlockSize() {
    for (BlockSpec b : blocks) {
      if (b.feedForward() instanceof FeedForwardSpec.SparseFf s) {
        return s.blockSize();
      }
    }
    return 0;
  }

  /** True when some layer has the Scaling Transformers sparse feed-forward. */
  public boolean hasSparseFf() {
    return sparseBlockSize() > 0;
  }

  /** True when some layer has the Scaling Transformers sparse QKV attention. */
  public boolean hasSparseQkv() {
    return blocks.stream().anyMatch(b -> b.attention() instanceof AttentionSpec.SparseQkv);
  }
}
