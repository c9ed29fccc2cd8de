package org.sparsityworkbench.engine.analysis;

import org.sparsityworkbench.engine.spec.FeedForwardSpec;
import org.sparsityworkbench.engine.spec.ModelSpec;

/**
 * What an analysis counts in one layer.
 *
 * @param layer the layer's index in the model
 * @param experts routed experts E (0 when the layer does not route)
 * @param topK experts chosen per token (0 when the layer does not route)
 * @param units sparse FF: hidden units f (0 when the layer is not a sparse FF)
 * @param blockSize sparse FF: units per block N (0 when the layer is not a sparse FF)
 */
public record LayerKind(int layer, int experts, int topK, int units, int blockSize) {
  /** True for a mixture-of-experts layer. */
  public boolean routed() {
    return experts > 0;
  }

  /** True for a Scaling Transformers sparse FF layer. */
  public boolean sparseFf() {
    return units > 0;
  }

  /** Sparse FF blocks f / N. */
  public int blocks() {
    return blockSize == 0 ? 0 : units / blockSize;
  }

  /** The kind of every layer of a model. */
  public static LayerKind[] of(ModelSpec spec) {
    LayerKind[] kinds = new LayerKind[spec.layers()];
    for (int l = 0; l < kinds.length; l++) {
      kinds[l] =
          switch (spec.block(l).feedForward()) {
            case FeedForwardSpec.Moe m -> new LayerKind(l, m.experts(), m.topK(), 0, 0);
            case FeedForwardSpec.SparseFf s -> new LayerKind(l, 0, 0, s.width(), s.blockSize());
            case FeedForwardSpec.Mlp d -> new LayerKind(l, 0, 0, 0, 0);
          };
    }
    return kinds;
  }
}
