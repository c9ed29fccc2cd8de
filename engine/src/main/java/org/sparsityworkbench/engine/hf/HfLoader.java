package org.sparsityworkbench.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.io.MappedTensors;
import org.sparsityworkbench.engine.model.Block;
import org.sparsityworkbench.engine.model.Embedding;
import org.sparsityworkbench.engine.model.FeedForward;
import org.sparsityworkbench.engine.model.Linear;
import org.sparsityworkbench.engine.model.MixtureOfExperts;
import org.sparsityworkbench.engine.model.Mlp;
import org.sparsityworkbench.engine.model.MultiHeadAttention;
import org.sparsityworkbench.engine.model.OutputHead;
import org.sparsityworkbench.engine.model.RmsNorm;
import org.sparsityworkbench.engine.model.Rotary;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.spec.AttentionSpec;
import org.sparsityworkbench.engine.spec.BlockSpec;
import org.sparsityworkbench.engine.spec.EmbeddingSpec;
import org.sparsityworkbench.engine.spec.FeedForwardSpec;
import org.sparsityworkbench.engine.spec.HeadSpec;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.spec.NormSpec;
import org.sparsityworkbench.engine.spec.PositionSpec;
import org.sparsityworkbench.engine.spec.TokenizerSpec;
import org.sparsityworkbench.engine.tokenizer.HuggingFaceTokenizer;

/**
 * Opens a Hugging Face model directory as it is: {@code config.json} (with {@code model_type}),
 * {@code model.safetensors} or its shards, {@code tokenizer.json}. The config becomes a {@link
 * ModelSpec}; every tensor is checked for presence and shape before any reaches native code, then
 * bound once to its part. F32 weights stay in the memory-mapped files (no copy); F16 and BF16 are
 * converted to float32 in Java.
 */
public final class HfLoader {
  private HfLoader() {}

  /** The tokenizer file of a Hugging Face directory. */
  public static final String TOKENIZER_FILE = "tokenizer.json";

  /** True when the directory's config.json names a {@code model_type} (and no native family). */
  public static boolean isHuggingFace(Path dir) {
    Path f = dir.resolve("config.json");
    if (!Files.isRegularFile(f)) {
      return false;
    }
    try {
      HfConfig c = HfConfig.read(f);
      return c.has("model_type") && !c.has("family");
    } catch (ModelFormatException e) {
      return false;
    }
  }

  /** The spec a config describes (no weights read). */
  public static ModelSpec spec(HfConfig c, Path dir) throws ModelFormatException {
    try {
      return buildSpec(c, dir);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(c.file() + ": " + e.getMessage(), e);
    }
  }

  private static ModelSpec buildSpec(HfConfig c, Path dir) throws ModelFormatException {
    HfArchitecture a = HfArchitecture.of(c);
    if (c.has("hidden_act") && !c.string("hidden_act").equals("silu")) {
      throw c.error("hidden_act", "'" + c.string("hidden_act") + "' is not supported (silu is)");
    }
    if (c.bool("mlp_bias", false)) {
      throw c.error("mlp_bias", "true is not supported");
    }
    if (c.has("clip_qkv")) {
      throw c.error("clip_qkv", "is not supported (only null)");
    }
    if (c.bool("use_sliding_window", false)) {
      throw c.error("use_sliding_window", "true is not supported");
    }
    int hidden = c.integer("hidden_size");
    int layers = c.integer("num_hidden_layers");
    int heads = c.integer("num_attention_heads");
    int kvHeads = c.integer("num_key_value_heads", heads);
    if (!c.has("head_dim") && hidden % heads != 0) {
      throw c.error("num_attention_heads", heads + " does not divide hidden_size " + hidden);
    }
    // Qwen3's configuration class defaults head_dim to 128; the others derive it.
    int headDim = c.integer("head_dim", a.modelType().equals("qwen3") ? 128 : hidden / heads);
    if (headDim % 2 != 0) {
      throw c.error("head_dim", headDim + " must be even for rotary positions");
    }
    if (heads % kvHeads != 0) {
      throw c.error("num_key_value_heads", kvHeads + " must divide num_attention_heads " + heads);
    }
    int context = c.integer("max_position_embeddings");
    if (a.modelType().equals("mixtral") && c.has("sliding_window")) {
      // Within the window, sliding-window attention is full attention: decode no further.
      context = Math.min(context, c.integer("sliding_window"));
    }
    double eps = c.number("rms_norm_eps", Double.NaN);
    if (Double.isNaN(eps)) {
      throw c.error("rms_norm_eps", "is missing");
    }
    double scale = a.granite() ? c.number("attention_multiplier", 1.0) : 1.0 / Math.sqrt(headDim);
    AttentionSpec.MultiHead attention =
        new AttentionSpec.MultiHead(
            heads, kvHeads, headDim, scale, a.qkvBias().of(c), a.outBias().of(c), a.qkNorm());
    int intermediate = c.integer("intermediate_size");
    FeedForwardSpec.Mlp dense =
        new FeedForwardSpec.Mlp(intermediate, FeedForwardSpec.Activation.SWIGLU);
    FeedForwardSpec.Moe moe = null;
    Set<Integer> mlpOnly = a.sparseStep() ? c.integers("mlp_only_layers") : Set.of();
    int step = a.sparseStep() ? c.integer("decoder_sparse_step", 1) : 1;
    if (a.routed()) {
      boolean qwen = a.experts() == HfArchitecture.ExpertNames.QWEN;
      int experts = c.integer(qwen ? "num_experts" : "num_local_experts");
      int topK = c.integer("num_experts_per_tok");
      if (topK > experts) {
        throw c.error("num_experts_per_tok", topK + " exceeds the " + experts + " experts");
      }
      int width = a.sparseStep() ? c.integer("moe_intermediate_size") : intermediate;
      FeedForwardSpec.Mlp shared =
          a.sharedExpert()
              ? new FeedForwardSpec.Mlp(
                  c.integer("shared_expert_intermediate_size"), FeedForwardSpec.Activation.SWIGLU)
              : null;
      moe =
          new FeedForwardSpec.Moe(
              experts,
              topK,
              new FeedForwardSpec.Mlp(width, FeedForwardSpec.Activation.SWIGLU),
              a.renormalise().of(c),
              0,
              shared,
              shared != null);
    }
    double residual = a.granite() ? c.number("residual_multiplier", 1.0) : 1.0;
    List<BlockSpec> blocks = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      boolean routedLayer = moe != null && !mlpOnly.contains(i) && (i + 1) % step == 0;
      blocks.add(new BlockSpec(attention, routedLayer ? moe : dense, residual));
    }
    return new ModelSpec(
        a.modelType(),
        c.integer("vocab_size"),
        hidden,
        context,
        new EmbeddingSpec(a.granite() ? c.number("embedding_multiplier", 1.0) : 1.0),
        new PositionSpec.Rotary(c.ropeTheta(10_000.0)),
        new NormSpec.RmsNorm(eps),
        blocks,
        new HeadSpec(
            c.bool("tie_word_embeddings", false),
            a.granite() ? c.number("logits_scaling", 1.0) : 1.0),
        new TokenizerSpec.HuggingFace(dir.resolve(TOKENIZER_FILE)));
  }

  /**
   * Loads a directory.
   *
   * @throws ModelFormatException naming the file and the key or tensor at fault
   * @throws CancellationException when the progress listener cancels
   */
  public static TransformerModel load(Path dir, NDManager parent, LoadProgress progress)
      throws ModelFormatException {
    HfConfig c = HfConfig.read(dir.resolve("config.json"));
    ModelSpec spec = spec(c, dir);
    HfArchitecture arch = HfArchitecture.of(c);
    Path tokFile = dir.resolve(TOKENIZER_FILE);
    HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.load(tokFile);
    MappedTensors tensors = null;
    NDManager m = null;
    try {
      if (tokenizer.vocabularySize() > spec.vocabSize()) {
        throw new ModelFormatException(
            tokFile
                + ": its vocabulary has "
                + tokenizer.vocabularySize()
                + " tokens but the embedding has "
                + spec.vocabSize()
                + " rows (vocab_size in "
                + c.file()
                + ")");
      }
      tensors = MappedTensors.open(dir);
      MemoryCheck.require(dir, MemoryCheck.float32Bytes(tensors));
      m = parent.newSubManager();
      Binder b = new Binder(tensors, m, progress, c.file());
      TransformerModel.Parts parts = b.bind(spec, arch);
      List<String> extra = tensors.unexpected(b.used);
      extra.removeIf(n -> n.endsWith("rotary_emb.inv_freq"));
      if (spec.head().tied()) {
        extra.remove("lm_head.weight"); // some tied checkpoints store the copy; it is not read
      }
      if (!extra.isEmpty()) {
        throw new ModelFormatException(
            dir
                + ": unexpected tensor(s) "
                + (extra.size() > 5
                    ? extra.subList(0, 5) + " and " + (extra.size() - 5) + " more"
                    : extra)
                + " for model_type "
                + arch.modelType());
      }
      return TransformerModel.assemble(spec, c.text(), m, b.params, dir, tokenizer, parts, tensors);
    } catch (ModelFormatException | RuntimeException e) {
      if (m != null) {
        m.close();
      }
      if (tensors != null) {
        tensors.close();
      }
      tokenizer.close();
      throw e;
    }
  }

  /** Creates the arrays and parts, counting progress. */
  private static final class Binder {
    final MappedTensors t;
    final NDManager m;
    final LoadProgress progress;
    final Path config;
    final Map<String, NDArray> params = new LinkedHashMap<>();
    final Set<String> used = new HashSet<>();
    final long totalBytes;
    final int totalTensors;
    long bytes;
    int count;

    Binder(MappedTensors t, NDManager m, LoadProgress progress, Path config) {
      this.t = t;
      this.m = m;
      this.progress = progress;
      this.config = config;
      this.totalBytes = t.bytes();
      this.totalTensors = t.names().size();
    }

    /** A tensor of this shape as a float32 array. */
    NDArray array(String name, long... shape) throws ModelFormatException {
      if (progress.cancelled()) {
        throw new CancellationException("loading cancelled");
      }
      MemorySegment s = t.float32(name, shape, "required by " + config);
      NDArray a = create(s, shape);
      a.setName(name);
      params.put(name, a);
      used.add(name);
      bytes += t.info(name).bytes();
      progress.update(bytes, totalBytes, ++count, totalTensors);
      return a;
    }

    NDArray create(MemorySegment s, long... shape) {
      return m.create(
          s.asByteBuffer().order(ByteOrder.nativeOrder()), new Shape(shape), DataType.FLOAT32);
    }

    NDArray scalar(double v) {
      return m.create((float) v);
    }

    Linear linear(String prefix, long out, long in, boolean bias) throws ModelFormatException {
      return Linear.outIn(
          array(prefix + ".weight", out, in), bias ? array(prefix + ".bias", out) : null);
    }

    Mlp swiglu(String prefix, long width, long hidden) throws ModelFormatException {
      return Mlp.swiglu(
          array(prefix + ".gate_proj.weight", width, hidden),
          array(prefix + ".up_proj.weight", width, hidden),
          array(prefix + ".down_proj.weight", hidden, width));
    }

    TransformerModel.Parts bind(ModelSpec spec, HfArchitecture arch) throws ModelFormatException {
      long d = spec.dModel();
      NDArray eps = scalar(((NormSpec.RmsNorm) spec.norm()).eps());
      NDArray table = array("model.embed_tokens.weight", spec.vocabSize(), d);
      List<Block> blocks = new ArrayList<>();
      int headDim = spec.block(0).attention().headDim();
      for (int i = 0; i < spec.layers(); i++) {
        String p = "model.layers." + i + ".";
        BlockSpec bs = spec.block(i);
        AttentionSpec.MultiHead a = (AttentionSpec.MultiHead) bs.attention();
        long q = (long) a.heads() * a.headDim();
        long kv = (long) a.kvHeads() * a.headDim();
        RmsNorm qNorm = null;
        RmsNorm kNorm = null;
        if (a.qkNorm() == AttentionSpec.QkNorm.PROJECTION) {
          qNorm = new RmsNorm(array(p + "self_attn.q_norm.weight", q), eps);
          kNorm = new RmsNorm(array(p + "self_attn.k_norm.weight", kv), eps);
        } else if (a.qkNorm() == AttentionSpec.QkNorm.HEAD) {
          qNorm = new RmsNorm(array(p + "self_attn.q_norm.weight", a.headDim()), eps);
          kNorm = new RmsNorm(array(p + "self_attn.k_norm.weight", a.headDim()), eps);
        }
        MultiHeadAttention attention =
            new MultiHeadAttention(
                a,
                linear(p + "self_attn.q_proj", q, d, a.qkvBias()),
                linear(p + "self_attn.k_proj", kv, d, a.qkvBias()),
                linear(p + "self_attn.v_proj", kv, d, a.qkvBias()),
                linear(p + "self_attn.o_proj", d, q, a.outBias()),
                qNorm,
                kNorm,
                true,
                scalar(a.scale()));
        FeedForward ffn =
            bs.feedForward() instanceof FeedForwardSpec.Moe moe
                ? moe(p, moe, arch.experts(), d)
                : swiglu(p + "mlp", ((FeedForwardSpec.Mlp) bs.feedForward()).width(), d);
        blocks.add(
            new Block(
                new RmsNorm(array(p + "input_layernorm.weight", d), eps),
                attention,
                new RmsNorm(array(p + "post_attention_layernorm.weight", d), eps),
                ffn,
                bs.residual() == 1.0 ? null : scalar(bs.residual())));
      }
      RmsNorm finalNorm = new RmsNorm(array("model.norm.weight", d), eps);
      NDArray head = spec.head().tied() ? table : array("lm_head.weight", spec.vocabSize(), d);
      double multiplier = spec.embedding().multiplier();
      double logitScale = spec.head().logitScale();
      return new TransformerModel.Parts(
          new Embedding(table, null, multiplier == 1.0 ? null : scalar(multiplier)),
          new Rotary(((PositionSpec.Rotary) spec.positions()).theta(), headDim),
          blocks,
          new OutputHead(finalNorm, head, logitScale == 1.0 ? null : scalar(1.0 / logitScale)));
    }

    FeedForward moe(String p, FeedForwardSpec.Moe spec, HfArchitecture.ExpertNames names, long d)
        throws ModelFormatException {
      int e = spec.experts();
      long w = spec.expert().width();
      List<Mlp> experts = new ArrayList<>();
      Linear router;
      String fusedPrefix = p + "mlp.experts.";
      if (names == HfArchitecture.ExpertNames.GRANITE) {
        router = linear(p + "block_sparse_moe.router.layer", e, d, false);
        experts =
            fused(
                p + "block_sparse_moe.input_linear.weight",
                p + "block_sparse_moe.output_linear.weight",
                e,
                w,
                d);
      } else if (t.info(fusedPrefix + "gate_up_proj") != null) {
        router = linear(p + "mlp.gate", e, d, false);
        experts = fused(fusedPrefix + "gate_up_proj", fusedPrefix + "down_proj", e, w, d);
      } else if (names == HfArchitecture.ExpertNames.MIXTRAL) {
        router = linear(p + "block_sparse_moe.gate", e, d, false);
        for (int x = 0; x < e; x++) {
          String q = p + "block_sparse_moe.experts." + x + ".";
          experts.add(
              Mlp.swiglu(
                  array(q + "w1.weight", w, d),
                  array(q + "w3.weight", w, d),
                  array(q + "w2.weight", d, w)));
        }
      } else {
        router = linear(p + "mlp.gate", e, d, false);
        for (int x = 0; x < e; x++) {
          experts.add(swiglu(p + "mlp.experts." + x, w, d));
        }
      }
      Mlp shared = null;
      Linear sharedGate = null;
      if (spec.shared() != null) {
        shared = swiglu(p + "mlp.shared_expert", spec.shared().width(), d);
        if (spec.sharedGate()) {
          sharedGate = linear(p + "mlp.shared_expert_gate", 1, d, false);
        }
      }
      return new MixtureOfExperts(
          spec,
          router,
          MixtureOfExperts.Experts.of(experts),
          shared,
          sharedGate,
          MixtureOfExperts.Training.NONE);
    }

    /**
     * Experts stored fused: in (E, 2w, d), the gate rows then the up rows of each expert, and out
     * (E, d, w); each expert's matrices are slices of the one float32 tensor (no copy for F32).
     */
    List<Mlp> fused(String in, String out, int e, long w, long d) throws ModelFormatException {
      MemorySegment gu = t.float32(in, new long[] {e, 2 * w, d}, "required by " + config);
      MemorySegment dn = t.float32(out, new long[] {e, d, w}, "required by " + config);
      List<Mlp> experts = new ArrayList<>();
      long block = w * d * Float.BYTES;
      for (int x = 0; x < e; x++) {
        experts.add(
            Mlp.swiglu(
                create(gu.asSlice((2L * x) * block, block), w, d),
                create(gu.asSlice((2L * x + 1) * block, block), w, d),
                create(dn.asSlice(x * block, block), d, w)));
      }
      // The whole tensors too (views of the same memory), so that params() holds every weight.
      params.put(in, create(gu, e, 2 * w, d));
      params.put(out, create(dn, e, d, w));
      for (String name : new String[] {in, out}) {
        used.add(name);
        bytes += t.info(name).bytes();
        progress.update(bytes, totalBytes, ++count, totalTensors);
      }
      return experts;
    }
  }
}
