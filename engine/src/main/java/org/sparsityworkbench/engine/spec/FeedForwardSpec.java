package org.sparsityworkbench.engine.spec;

/** The feed-forward sub-layer of a block. */
public sealed interface FeedForwardSpec {
  /** Activation of a dense feed-forward. */
  enum Activation {
    /** relu(x W1^T) W2 (the native families). */
    RELU,
    /** down(silu(gate(x)) * up(x)) (llama and every imported MoE expert). */
    SWIGLU
  }

  /** A dense feed-forward of {@code width} hidden units. */
  record Mlp(int width, Activation activation) implements FeedForwardSpec {}

  /**
   * A mixture of experts: a router scores E experts, each token goes to the k best.
   *
   * @param expert the shape of every expert
   * @param renormalise gates renormalised over the chosen k (top-k / Mixtral / norm_topk_prob);
   *     Granite's softmax over the top-k logits is the same numbers
   * @param capacityFactor expert capacity in a routed batch (0: none, every token kept)
   * @param shared an always-active expert added to every token, or null (Qwen2-MoE)
   * @param sharedGate the shared expert's output is scaled by sigmoid(x . w_g)
   */
  record Moe(
      int experts,
      int topK,
      Mlp expert,
      boolean renormalise,
      double capacityFactor,
      Mlp shared,
      boolean sharedGate)
      implements FeedForwardSpec {
    public Moe {
      if (experts < 1 || topK < 1 || topK > experts) {
        throw new IllegalArgumentException("top-k " + topK + " of " + experts + " experts");
      }
    }
  }

  /**
   * Scaling Transformers' sparse feed-forward: width units in width/blockSize blocks, one unit per
   * block chosen by a low-rank controller.
   */
  record SparseFf(int width, int blockSize, int rank) implements FeedForwardSpec {}
}
