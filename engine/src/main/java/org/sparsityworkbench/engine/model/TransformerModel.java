package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.io.SafeTensors;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.tokenizer.ByteTokenizer;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * A decoder-only, pre-norm transformer: its parts with their weights bound, and the forward pass.
 * The shape is a {@link ModelSpec} (a composition of parts); the parts are bound once, at load
 * time, by the family's binder ({@link NativeFamilies} for the workbench's own families, the {@code
 * hf} package for Hugging Face checkpoints).
 *
 * <p>Dimensions: B batch, T new tokens, S keys (cached + new), d model width, H query heads, G
 * key/value heads, h head size, f = d_ff, E experts, V vocabulary.
 *
 * <p>The forward pass is written over NDArrays rather than DJL Blocks because its outputs are more
 * than logits: the KV cache is written in place and each layer returns its routing and attention as
 * explicit telemetry (see {@code docs/decisions/0001-functional-model.md}).
 */
public final class TransformerModel implements LanguageModel {
  /** File names inside a model directory. */
  public static final String CONFIG_FILE = "config.json";

  public static final String WEIGHTS_FILE = "model.safetensors";
  public static final String CARD_FILE = "MODEL_CARD.md";

  private final ModelSpec spec;
  private final ModelConfig config; // the native families' config.json; null for imported models
  private final String configJson;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Path directory;
  private final Tokenizer tokenizer;
  private final Parts parts;
  private final AutoCloseable resources; // what the weights' memory lives in, or null

  /**
   * The bound parts of a model.
   *
   * @param rotary the rotary angles' source, or null for learned positions
   */
  public record Parts(Embedding embedding, Rotary rotary, List<Block> blocks, OutputHead head) {
    public Parts {
      blocks = List.copyOf(blocks);
    }
  }

  private TransformerModel(
      ModelConfig config, NDManager manager, Map<String, NDArray> params, Path directory) {
    this.config = config;
    this.spec = NativeFamilies.spec(config);
    this.configJson =
        new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(config.toMap());
    this.manager = manager;
    this.params = params;
    this.directory = directory;
    this.tokenizer = ByteTokenizer.INSTANCE;
    this.parts = NativeFamilies.bind(config, params, manager);
    this.resources = null;
  }

  private TransformerModel(
      ModelSpec spec,
      String configJson,
      NDManager manager,
      Map<String, NDArray> params,
      Path directory,
      Tokenizer tokenizer,
      Parts parts,
      AutoCloseable resources) {
    this.config = null;
    this.spec = spec;
    this.configJson = configJson;
    this.manager = manager;
    this.params = params;
    this.directory = directory;
    this.tokenizer = tokenizer;
    this.parts = parts;
    this.resources = resources;
  }

  /**
   * A model assembled by a family's binder (an imported checkpoint).
   *
   * @param manager owns every weight; closed with the model
   * @param params every weight by its name in the checkpoint
   * @param configJson the configuration as shown to the user (the checkpoint's own config.json)
   * @param resources closed after the weights' manager (the mapped files the arrays point into)
   */
  public static TransformerModel assemble(
      ModelSpec spec,
      String configJson,
      NDManager manager,
      Map<String, NDArray> params,
      Path directory,
      Tokenizer tokenizer,
      Parts parts,
      AutoCloseable resources) {
    return new TransformerModel(
        spec, configJson, manager, params, directory, tokenizer, parts, resources);
  }

  /** The sparse feed-forward of a layer (sparse-ff families). */
  public SparseFeedForward sparseFeedForward(int layer) {
    return parts.blocks().get(layer).feedForward() instanceof SparseFeedForward s ? s : null;
  }

  @Override
  public String family() {
    return spec.family();
  }

  @Override
  public int contextLength() {
    return spec.contextLength();
  }

  @Override
  public ModelSummary summary() {
    return ModelSummary.of(this);
  }

  /** The model's shape as parts. */
  @Override
  public ModelSpec spec() {
    return spec;
  }

  /**
   * The hyper-parameters of a native family's {@code config.json}.
   *
   * @throws IllegalStateException for an imported model, which has a {@link #spec()} only
   */
  public ModelConfig config() {
    if (config == null) {
      throw new IllegalStateException(
          "an imported " + spec.family() + " model has no native configuration; use spec()");
    }
    return config;
  }

  /** True for the workbench's own families (byte-level, {@code config.json} with a family). */
  @Override
  public boolean isNative() {
    return config != null;
  }

  /** The configuration as JSON text, for display (the checkpoint's own for imported models). */
  @Override
  public String configJson() {
    return configJson;
  }

  /** The tokenizer (bytes for the native families). */
  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The directory this model was loaded from, or null. */
  @Override
  public Path directory() {
    return directory;
  }

  /** The manager owning the weights; sessions create their state in sub-managers of it. */
  public NDManager manager() {
    return manager;
  }

  /** Every weight, by name, in file order. */
  public Map<String, NDArray> params() {
    return java.util.Collections.unmodifiableMap(params);
  }

  /** A weight by name. */
  public NDArray param(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return a;
  }

  // ---------------------------------------------------------------------------------------------
  // Loading, saving, initialisation
  // ---------------------------------------------------------------------------------------------

  /**
   * Loads and validates a model directory ({@code config.json} + {@code model.safetensors}). Every
   * tensor's presence, shape and type is checked before any is handed to native code.
   */
  public static TransformerModel load(Path dir, NDManager parent) throws ModelFormatException {
    if (!Files.isDirectory(dir)) {
      throw new ModelFormatException(dir + ": not a directory");
    }
    Path configFile = dir.resolve(CONFIG_FILE);
    Path weightsFile = dir.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(configFile)) {
      throw new ModelFormatException(configFile + ": missing (every model directory needs one)");
    }
    if (!Files.isRegularFile(weightsFile)) {
      throw new ModelFormatException(weightsFile + ": missing (every model directory needs one)");
    }
    ModelConfig config = ModelConfig.read(configFile);
    Map<String, float[]> values =
        readValues(weightsFile, configFile, ParameterLayout.of(config), config.family().id());
    return fromValues(config, values, parent, dir);
  }

  /**
   * The float values of every tensor of a layout, read from a safetensors file after checking each
   * by name and shape, and that nothing else is there; non-finite values are refused by name.
   */
  static Map<String, float[]> readValues(
      Path weightsFile, Path configFile, List<ParameterLayout.Param> layout, String family)
      throws ModelFormatException {
    SafeTensors.Contents contents = SafeTensors.read(weightsFile);
    Set<String> expected = new TreeSet<>();
    for (ParameterLayout.Param p : layout) {
      expected.add(p.name());
      SafeTensors.Tensor t = contents.tensors().get(p.name());
      if (t == null) {
        throw new ModelFormatException(
            weightsFile
                + ": tensor '"
                + p.name()
                + "' is missing (required by "
                + configFile
                + ")");
      }
      if (!Arrays.equals(t.shape(), p.shape())) {
        throw new ModelFormatException(
            weightsFile
                + ": tensor '"
                + p.name()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", expected "
                + Arrays.toString(p.shape())
                + " from "
                + configFile);
      }
    }
    Set<String> extra = new TreeSet<>(contents.tensors().keySet());
    extra.removeAll(expected);
    if (!extra.isEmpty()) {
      throw new ModelFormatException(
          weightsFile + ": unexpected tensor(s) " + extra + " for family " + family);
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    for (ParameterLayout.Param p : layout) {
      float[] v = contents.tensors().get(p.name()).toFloats();
      for (float x : v) {
        if (!Float.isFinite(x)) {
          throw new ModelFormatException(
              weightsFile + ": tensor '" + p.name() + "' holds a non-finite value (" + x + ")");
        }
      }
      values.put(p.name(), v);
    }
    return values;
  }

  /** Builds a model from float values by name (shapes from the layout). */
  public static TransformerModel fromValues(
      ModelConfig config, Map<String, float[]> values, NDManager parent, Path dir) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> params = new LinkedHashMap<>();
    try {
      for (ParameterLayout.Param p : ParameterLayout.of(config)) {
        float[] v = values.get(p.name());
        if (v == null || v.length != p.numel()) {
          throw new IllegalArgumentException("values for " + p.name() + " missing or mis-sized");
        }
        NDArray a = m.create(v, new Shape(p.shape()));
        a.setName(p.name());
        params.put(p.name(), a);
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return new TransformerModel(config, m, params, dir);
  }

  /**
   * A randomly initialised model: embeddings and matrices N(0, 0.02), the residual output
   * projections (wo, w2) N(0, 0.02 / sqrt(2 L)) as in GPT-2, norms 1. Deterministic for a seed.
   */
  public static TransformerModel random(ModelConfig config, long seed, NDManager parent) {
    Random rng = new Random(seed);
    Map<String, float[]> values = new LinkedHashMap<>();
    double residualStd = 0.02 / Math.sqrt(2.0 * config.nLayers());
    for (ParameterLayout.Param p : ParameterLayout.of(config)) {
      float[] v = new float[Math.toIntExact(p.numel())];
      if (p.role() == ParameterLayout.Role.NORM) {
        Arrays.fill(v, 1f);
      } else if (!p.name().endsWith("_bias")) {
        double std = initStd(p, residualStd);
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextGaussian() * std);
        }
      }
      values.put(p.name(), v);
    }
    return fromValues(config, values, parent, null);
  }

  /**
   * Standard deviation of a weight at initialisation: the residual output projections are scaled
   * down as in GPT-2; the sparse QKV gating vectors are N(0, 0.5) and its projection and
   * convolution kernels Glorot-normal, as in trax; everything else N(0, 0.02).
   */
  static double initStd(ParameterLayout.Param p, double residualStd) {
    String n = p.name();
    if (n.endsWith(".wo") || n.endsWith("w2")) {
      return residualStd;
    }
    if (n.endsWith("attn.gate")) {
      return 0.5;
    }
    if (n.endsWith("attn.proj") || n.endsWith("attn.conv_qk") || n.endsWith("attn.conv_v")) {
      return Math.sqrt(2.0 / (p.shape()[0] + p.shape()[1]));
    }
    return 0.02;
  }

  /**
   * A copy that keeps only the first n learned positions: for a model trained on sequences shorter
   * than its context, whose later position embeddings never received a gradient.
   *
   * @throws IllegalArgumentException for n outside 1..context_length
   */
  public TransformerModel withContextLength(int n, NDManager parent) {
    if (n < 1 || n > config.contextLength()) {
      throw new IllegalArgumentException(
          "the new context_length must be in 1.." + config.contextLength() + ", got " + n);
    }
    ModelConfig c = config.withContextLength(n);
    Map<String, float[]> values = new LinkedHashMap<>();
    for (ParameterLayout.Param p : ParameterLayout.of(c)) {
      float[] v = params.get(p.name()).toFloatArray();
      // Only pos_embed (context_length, d) depends on the context: its first n rows come first.
      values.put(p.name(), v.length == p.numel() ? v : Arrays.copyOf(v, (int) p.numel()));
    }
    return fromValues(c, values, parent, directory);
  }

  /** Writes {@code config.json} and {@code model.safetensors} (float32) into a directory. */
  public void save(Path dir, Map<String, String> metadata) throws IOException {
    save(dir, metadata, SafeTensors.DType.F32);
  }

  /**
   * Writes {@code config.json} and {@code model.safetensors} with tensors stored as {@code dtype}
   * (F32 exactly; F16 rounds to nearest, for smaller files; computation is always float32).
   */
  public void save(Path dir, Map<String, String> metadata, SafeTensors.DType dtype)
      throws IOException {
    Files.createDirectories(dir);
    List<SafeTensors.Tensor> tensors = new ArrayList<>();
    for (ParameterLayout.Param p : ParameterLayout.of(config)) {
      NDArray a = params.get(p.name());
      ByteBuffer b;
      if (dtype == SafeTensors.DType.F32) {
        b = ByteBuffer.wrap(a.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
      } else if (dtype == SafeTensors.DType.F16) {
        float[] v = a.toFloatArray();
        b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
          b.putShort(Float.floatToFloat16(x));
        }
        b.flip();
      } else {
        throw new IllegalArgumentException("saving as " + dtype + " is not supported");
      }
      tensors.add(new SafeTensors.Tensor(p.name(), dtype, p.shape(), b));
    }
    SafeTensors.write(dir.resolve(WEIGHTS_FILE), tensors, metadata);
    String json =
        new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(config.toMap());
    Path tmp = org.sparsityworkbench.engine.io.TempFiles.create(dir, CONFIG_FILE);
    Files.writeString(tmp, json + "\n", StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dir.resolve(CONFIG_FILE),
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() {
    manager.close();
    tokenizer.close();
    if (resources != null) {
      try {
        resources.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + directory + ": " + e.getMessage(), e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Forward pass
  // ---------------------------------------------------------------------------------------------

  /**
   * Options of one forward pass.
   *
   * @param jitterRng random numbers of training (router jitter, Gumbel noise, mask choice)
   * @param auxLosses in training, receives each MoE layer's weighted auxiliary loss
   *     (aux_loss_weight * load balance + z_loss_weight * z-loss) as a differentiable scalar
   */
  public record ForwardOptions(
      boolean training,
      boolean enforceCapacity,
      boolean collectAttention,
      boolean allLogits,
      Random jitterRng,
      List<NDArray> auxLosses,
      org.sparsityworkbench.engine.intervention.Interventions interventions,
      boolean logitLens) {
    public ForwardOptions {
      if (interventions == null) {
        interventions = org.sparsityworkbench.engine.intervention.Interventions.NONE;
      }
      if (training && !interventions.isEmpty()) {
        throw new IllegalArgumentException("interventions apply to inference, not to training");
      }
    }

    public ForwardOptions(
        boolean training,
        boolean enforceCapacity,
        boolean collectAttention,
        boolean allLogits,
        Random jitterRng,
        List<NDArray> auxLosses) {
      this(
          training,
          enforceCapacity,
          collectAttention,
          allLogits,
          jitterRng,
          auxLosses,
          null,
          false);
    }

    public ForwardOptions(
        boolean training,
        boolean enforceCapacity,
        boolean collectAttention,
        boolean allLogits,
        Random jitterRng) {
      this(training, enforceCapacity, collectAttention, allLogits, jitterRng, null, null, false);
    }

    /** These options with interventions in force. */
    public ForwardOptions with(org.sparsityworkbench.engine.intervention.Interventions i) {
      return new ForwardOptions(
          training,
          enforceCapacity,
          collectAttention,
          allLogits,
          jitterRng,
          auxLosses,
          i,
          logitLens);
    }

    /**
     * These options with the logit lens: each layer's trace gets the next-token distribution read
     * from the residual stream after it (final norm, then the output head) at the last position.
     */
    public ForwardOptions withLogitLens(boolean on) {
      return new ForwardOptions(
          training,
          enforceCapacity,
          collectAttention,
          allLogits,
          jitterRng,
          auxLosses,
          interventions,
          on);
    }

    /** Inference defaults: capacity enforced, no attention copies, last-position logits only. */
    public static ForwardOptions inference(boolean collectAttention) {
      return new ForwardOptions(false, true, collectAttention, false, null);
    }
  }

  /**
   * Runs tokens through the model.
   *
   * @param tokens (1, T) int64 token ids
   * @param cache the sequence's cache, holding positions [0, cache.length()); the new tokens take
   *     positions [length, length + T) and are written into it; null for a cache-free pass from
   *     position 0 (then B may exceed 1)
   * @param traces receives one trace per layer when not null
   * @return logits (B, T, V) when {@code allLogits}, else (B, 1, V) of the last position
   */
  public NDArray forward(
      NDArray tokens, KvCache cache, ForwardOptions opt, List<LayerTrace> traces) {
    Shape ts = tokens.getShape();
    if (ts.dimension() != 2) {
      throw new IllegalArgumentException("tokens must be (B, T), got " + ts);
    }
    int b = (int) ts.get(0);
    int t = (int) ts.get(1);
    int start = cache == null ? 0 : cache.length();
    if (t < 1) {
      throw new IllegalArgumentException("no tokens to process");
    }
    if (start + t > spec.contextLength()) {
      throw new IllegalArgumentException(
          "positions "
              + start
              + ".."
              + (start + t - 1)
              + " exceed context_length "
              + spec.contextLength());
    }
    if (cache != null && start + t > cache.capacity()) {
      throw new IllegalArgumentException(
          "positions "
              + start
              + ".."
              + (start + t - 1)
              + " exceed the cache's "
              + cache.capacity());
    }
    if (cache != null && b != 1) {
      throw new IllegalArgumentException("a KV cache holds one sequence; got batch " + b);
    }
    NDArray x = parts.embedding().forward(tokens, start); // (B, T, d)
    NDManager m = x.getManager();
    NDArray mask = t > 1 ? causalMask(m, t, start) : null; // (T, S)
    Rotary.Angles angles = parts.rotary() == null ? null : parts.rotary().angles(m, start, t);
    Pass pass = new Pass(cache, start, t, mask, angles, opt);
    List<Block> blocks = parts.blocks();
    for (int i = 0; i < blocks.size(); i++) {
      LayerTrace trace = traces == null ? null : new LayerTrace();
      x = blocks.get(i).forward(i, x, pass, trace);
      if (trace != null) {
        if (opt.logitLens()) {
          // The logit lens: the residual stream after this layer, at the last position of the
          // first sequence, through the final norm and the head.
          NDArray last = x.get(new NDIndex("0:1, -1:, :"));
          trace.lens = Floats.of(parts.head().forward(last));
        }
        traces.add(trace);
      }
    }
    if (cache != null) {
      cache.advance(t);
    }
    if (!opt.allLogits() && t > 1) {
      x = x.get(new NDIndex(":, -1:, :")); // (B, 1, d)
    }
    return parts.head().forward(x); // (B, T|1, V)
  }

  /**
   * The choices of every layer for a batch of sequences from position 0 (corpus analysis): the
   * blocks run as in {@link #forward} without a cache, except that after the last layer with
   * choices (a router or a controller) nothing runs, and that layer's feed-forward only chooses,
   * since nothing reads its output. The traces of the layers after it are empty.
   *
   * @param tokens (B, T) int64 token ids
   * @return one trace per layer
   */
  public List<LayerTrace> choices(NDArray tokens, ForwardOptions opt) {
    Shape ts = tokens.getShape();
    if (ts.dimension() != 2 || ts.get(1) < 1 || ts.get(1) > spec.contextLength()) {
      throw new IllegalArgumentException(
          "tokens must be (B, T) with 1 <= T <= context_length "
              + spec.contextLength()
              + ", got "
              + ts);
    }
    int t = (int) ts.get(1);
    List<Block> blocks = parts.blocks();
    int last = -1;
    for (int i = 0; i < blocks.size(); i++) {
      if (!(spec.block(i).feedForward()
          instanceof org.sparsityworkbench.engine.spec.FeedForwardSpec.Mlp)) {
        last = i;
      }
    }
    List<LayerTrace> traces = new ArrayList<>();
    NDArray x = parts.embedding().forward(tokens, 0);
    NDManager m = x.getManager();
    Pass pass =
        new Pass(
            null,
            0,
            t,
            t > 1 ? causalMask(m, t, 0) : null,
            parts.rotary() == null ? null : parts.rotary().angles(m, 0, t),
            opt);
    for (int i = 0; i < blocks.size(); i++) {
      LayerTrace trace = new LayerTrace();
      trace.choicesOnly = true;
      if (i < last) {
        x = blocks.get(i).forward(i, x, pass, trace);
      } else if (i == last) {
        blocks.get(i).choose(i, x, pass, trace);
      }
      traces.add(trace);
    }
    return traces;
  }

  /** Additive causal mask (T, S): query t at position start+t sees keys 0..start+t. */
  static NDArray causalMask(NDManager m, int t, int start) {
    int s = start + t;
    float[] v = new float[t * s];
    for (int q = 0; q < t; q++) {
      for (int k = start + q + 1; k < s; k++) {
        v[q * s + k] = Float.NEGATIVE_INFINITY;
      }
    }
    return m.create(v, new Shape(t, s));
  }
}
