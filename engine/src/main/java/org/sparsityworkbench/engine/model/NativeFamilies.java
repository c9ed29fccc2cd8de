package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.spec.AttentionSpec;
import org.sparsityworkbench.engine.spec.BlockSpec;
import org.sparsityworkbench.engine.spec.EmbeddingSpec;
import org.sparsityworkbench.engine.spec.FeedForwardSpec;
import org.sparsityworkbench.engine.spec.HeadSpec;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.spec.NormSpec;
import org.sparsityworkbench.engine.spec.PositionSpec;
import org.sparsityworkbench.engine.spec.TokenizerSpec;

/**
 * The workbench's own families as compositions of parts: byte tokens, a learned position table,
 * RMSNorm, fused-QKV multi-head attention (or sparse QKV), and a relu feed-forward, mixture of relu
 * experts or sparse feed-forward; the head tied to the embedding. Tensor names are those of {@link
 * ParameterLayout}.
 */
public final class NativeFamilies {
  private NativeFamilies() {}

  /** The spec of a native configuration. */
  public static ModelSpec spec(ModelConfig c) {
    Family f = c.family();
    AttentionSpec attention =
        f.hasSparseQkv()
            ? new AttentionSpec.SparseQkv(c.nHeads(), c.headDim(), c.qkvModules(), c.convKernel())
            : new AttentionSpec.MultiHead(
                c.nHeads(),
                c.nHeads(),
                c.headDim(),
                1.0 / Math.sqrt(c.headDim()),
                false,
                false,
                AttentionSpec.QkNorm.NONE);
    FeedForwardSpec.Mlp relu = new FeedForwardSpec.Mlp(c.dFf(), FeedForwardSpec.Activation.RELU);
    FeedForwardSpec ffn =
        f.isMoe()
            ? new FeedForwardSpec.Moe(
                c.numExperts(), c.topK(), relu, f == Family.TOPK, c.capacityFactor(), null, false)
            : f.hasSparseFf()
                ? new FeedForwardSpec.SparseFf(c.dFf(), c.blockSize(), c.controllerRank())
                : relu;
    List<BlockSpec> blocks = new ArrayList<>();
    for (int i = 0; i < c.nLayers(); i++) {
      blocks.add(new BlockSpec(attention, ffn, 1.0));
    }
    return new ModelSpec(
        f.id(),
        c.vocabSize(),
        c.dModel(),
        c.contextLength(),
        EmbeddingSpec.PLAIN,
        new PositionSpec.Learned(c.contextLength()),
        new NormSpec.RmsNorm(c.normEps()),
        blocks,
        HeadSpec.TIED,
        new TokenizerSpec.Bytes());
  }

  /** Binds the weights of a native model to its parts, once. */
  static TransformerModel.Parts bind(ModelConfig c, Map<String, NDArray> p, NDManager m) {
    NDArray eps = m.create((float) c.normEps());
    NDArray table = p.get("embed.weight");
    return new TransformerModel.Parts(
        new Embedding(table, p.get("pos_embed.weight"), null),
        null,
        blocks(c, p, m),
        new OutputHead(new RmsNorm(p.get("final_norm.weight"), eps), table, null));
  }

  /**
   * The blocks of a native configuration bound to their weights ({@code layers.i.*} of p): the
   * model's own, or a stack of Megabyte's.
   */
  static List<Block> blocks(ModelConfig c, Map<String, NDArray> p, NDManager m) {
    // Scalar constants as native arrays: an op with a Java scalar creates one on every call.
    NDArray eps = m.create((float) c.normEps());
    NDArray scale = m.create((float) (1.0 / Math.sqrt(c.headDim())));
    Family f = c.family();
    ModelSpec spec = spec(c);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < c.nLayers(); i++) {
      Attention attention;
      if (f.hasSparseQkv()) {
        attention =
            new SparseQkvAttention(
                new AttentionSpec.SparseQkv(
                    c.nHeads(), c.headDim(), c.qkvModules(), c.convKernel()),
                get(p, i, "attn.gate"),
                get(p, i, "attn.proj"),
                get(p, i, "attn.proj_bias"),
                get(p, i, "attn.conv_qk"),
                get(p, i, "attn.conv_qk_bias"),
                get(p, i, "attn.conv_v"),
                get(p, i, "attn.conv_v_bias"),
                scale);
      } else {
        attention =
            new MultiHeadAttention(
                (AttentionSpec.MultiHead) spec.block(i).attention(),
                Linear.inOut(get(p, i, "attn.wqkv")),
                Linear.inOut(get(p, i, "attn.wo")),
                null,
                null,
                false,
                scale);
      }
      FeedForward ffn;
      if (f.isMoe()) {
        ffn =
            new MixtureOfExperts(
                (FeedForwardSpec.Moe) spec.block(i).feedForward(),
                Linear.inOut(get(p, i, "moe.router")),
                MixtureOfExperts.Experts.stackedRelu(get(p, i, "moe.w1"), get(p, i, "moe.w2")),
                null,
                null,
                new MixtureOfExperts.Training(
                    c.routerJitter(), c.auxLossWeight(), c.zLossWeight()));
      } else if (f.hasSparseFf()) {
        ffn =
            new SparseFeedForward(
                    get(p, i, "ffn.ctrl_a"),
                    get(p, i, "ffn.ctrl_b"),
                    get(p, i, "ffn.ctrl_bias"),
                    get(p, i, "ffn.w1"),
                    get(p, i, "ffn.w2"),
                    c.blockSize())
                .withTraining(c.gumbelTemperature(), c.quantProb());
      } else {
        ffn = Mlp.relu(get(p, i, "ffn.w1"), get(p, i, "ffn.w2"));
      }
      blocks.add(
          new Block(
              new RmsNorm(get(p, i, "attn_norm.weight"), eps),
              attention,
              new RmsNorm(get(p, i, "ffn_norm.weight"), eps),
              ffn,
              null));
    }
    return blocks;
  }

  private static NDArray get(Map<String, NDArray> p, int layer, String suffix) {
    NDArray a = p.get(ParameterLayout.layer(layer, suffix));
    if (a == null) {
      throw new IllegalArgumentException("no parameter " + ParameterLayout.layer(layer, suffix));
    }
    return a;
  }
}
