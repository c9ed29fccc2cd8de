package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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

/**
 * A byte-level, decoder-only, pre-norm transformer: weights plus the forward pass.
 *
 * <p>Dimensions: B batch, T new tokens, S keys (cached + new), d model width, H heads, h = d / H
 * head size, f = d_ff, E experts, V = 256 vocabulary.
 *
 * <p>The forward pass is written over named NDArrays rather than DJL Blocks because its outputs are
 * more than logits: the KV cache is written in place and each layer returns its routing and
 * attention as explicit telemetry (see {@code docs/decisions/0001-functional-model.md}).
 */
public final class TransformerModel implements AutoCloseable {
  /** File names inside a model directory. */
  public static final String CONFIG_FILE = "config.json";

  public static final String WEIGHTS_FILE = "model.safetensors";
  public static final String CARD_FILE = "MODEL_CARD.md";

  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Path directory;
  private final SparseFeedForward[] sparseFf;
  // Scalar constants as native arrays: an op with a Java scalar creates one on every call.
  private final NDArray normEps;
  private final NDArray attentionScale;

  private TransformerModel(
      ModelConfig config, NDManager manager, Map<String, NDArray> params, Path directory) {
    this.config = config;
    this.manager = manager;
    this.params = params;
    this.directory = directory;
    this.normEps = manager.create((float) config.normEps());
    this.attentionScale = manager.create((float) (1.0 / Math.sqrt(config.headDim())));
    this.sparseFf = new SparseFeedForward[config.nLayers()];
    if (config.family().hasSparseFf()) {
      for (int i = 0; i < config.nLayers(); i++) {
        sparseFf[i] =
            new SparseFeedForward(
                param(ParameterLayout.layer(i, "ffn.ctrl_a")),
                param(ParameterLayout.layer(i, "ffn.ctrl_b")),
                param(ParameterLayout.layer(i, "ffn.ctrl_bias")),
                param(ParameterLayout.layer(i, "ffn.w1")),
                param(ParameterLayout.layer(i, "ffn.w2")),
                config.blockSize());
      }
    }
  }

  /** The sparse feed-forward of a layer (sparse-ff families). */
  public SparseFeedForward sparseFeedForward(int layer) {
    return sparseFf[layer];
  }

  /** Hyper-parameters. */
  public ModelConfig config() {
    return config;
  }

  /** The directory this model was loaded from, or null. */
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
    SafeTensors.Contents contents = SafeTensors.read(weightsFile);
    List<ParameterLayout.Param> layout = ParameterLayout.of(config);
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
          weightsFile + ": unexpected tensor(s) " + extra + " for family " + config.family());
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
    return fromValues(config, values, parent, dir);
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
  private static double initStd(ParameterLayout.Param p, double residualStd) {
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
    Path tmp = Files.createTempFile(dir, CONFIG_FILE, ".tmp");
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
      List<NDArray> auxLosses) {
    public ForwardOptions(
        boolean training,
        boolean enforceCapacity,
        boolean collectAttention,
        boolean allLogits,
        Random jitterRng) {
      this(training, enforceCapacity, collectAttention, allLogits, jitterRng, null);
    }

    /** Inference defaults: capacity enforced, no attention copies, last-position logits only. */
    public static ForwardOptions inference(boolean collectAttention) {
      return new ForwardOptions(false, true, collectAttention, false, null);
    }
  }

  /**
   * Runs tokens through the model.
   *
   * @param tokens (1, T) int64 byte values
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
    if (start + t > config.contextLength()) {
      throw new IllegalArgumentException(
          "positions "
              + start
              + ".."
              + (start + t - 1)
              + " exceed context_length "
              + config.contextLength());
    }
    if (cache != null && b != 1) {
      throw new IllegalArgumentException("a KV cache holds one sequence; got batch " + b);
    }
    NDArray x =
        param("embed.weight")
            .get(tokens.flatten())
            .reshape(b, t, config.dModel()) // (B, T, d)
            .add(param("pos_embed.weight").get(new NDIndex("{}:{}", start, start + t))); // + (T, d)
    NDArray mask = t > 1 ? causalMask(x.getManager(), t, start) : null; // (T, S)
    for (int i = 0; i < config.nLayers(); i++) {
      LayerTrace trace = traces == null ? null : new LayerTrace();
      if (trace != null) {
        trace.firstPass = start == 0;
      }
      long t0 = System.nanoTime();
      x =
          x.add(
              attention(
                  i,
                  rmsNorm(x, param(ParameterLayout.layer(i, "attn_norm.weight"))),
                  cache,
                  start,
                  mask,
                  opt,
                  trace));
      long t1 = System.nanoTime();
      NDArray h = rmsNorm(x, param(ParameterLayout.layer(i, "ffn_norm.weight")));
      NDArray y =
          config.family().isMoe()
              ? moe(i, h, opt, trace)
              : config.family().hasSparseFf() ? sparseFfn(i, h, opt, trace) : denseFfn(i, h);
      x = x.add(y);
      if (trace != null) {
        trace.attentionNanos = t1 - t0;
        trace.ffnNanos = System.nanoTime() - t1 - trace.routerNanos;
        traces.add(trace);
      }
    }
    if (cache != null) {
      cache.advance(t);
    }
    if (!opt.allLogits() && t > 1) {
      x = x.get(new NDIndex(":, -1:, :")); // (B, 1, d)
    }
    x = rmsNorm(x, param("final_norm.weight"));
    return x.matMul(param("embed.weight").transpose()); // (B, T|1, V), tied head
  }

  /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * g. */
  private NDArray rmsNorm(NDArray x, NDArray g) {
    NDArray ms = x.square().mean(new int[] {-1}, true);
    return x.div(ms.add(normEps).sqrt()).mul(g);
  }

  /** Additive causal mask (T, S): query t at position start+t sees keys 0..start+t. */
  private static NDArray causalMask(NDManager m, int t, int start) {
    int s = start + t;
    float[] v = new float[t * s];
    for (int q = 0; q < t; q++) {
      for (int k = start + q + 1; k < s; k++) {
        v[q * s + k] = Float.NEGATIVE_INFINITY;
      }
    }
    return m.create(v, new Shape(t, s));
  }

  /** Causal multi-head attention of normalised input h (B, T, d); returns (B, T, d). */
  private NDArray attention(
      int layer,
      NDArray h,
      KvCache cache,
      int start,
      NDArray mask,
      ForwardOptions opt,
      LayerTrace trace) {
    long b = h.getShape().get(0);
    long t = h.getShape().get(1);
    int heads = config.nHeads();
    int hd = config.headDim();
    NDArray q;
    NDArray k;
    NDArray v;
    if (config.family().hasSparseQkv()) {
      NDArray[] qkv = sparseQkv(layer, h, cache, trace); // 3 x (B, T, d)
      q = heads(qkv[0]);
      k = heads(qkv[1]);
      v = heads(qkv[2]);
    } else {
      NDArray qkv =
          h.matMul(param(ParameterLayout.layer(layer, "attn.wqkv"))) // (B, T, 3d)
              .reshape(b, t, 3, heads, hd)
              .transpose(2, 0, 3, 1, 4); // (3, B, H, T, h)
      q = qkv.get(0);
      k = qkv.get(1);
      v = qkv.get(2);
    }
    if (cache != null) {
      NDIndex fresh = new NDIndex(":, :, {}:{}, :", start, start + t);
      cache.keys(layer).set(fresh, k);
      cache.values(layer).set(fresh, v);
      NDIndex filled = new NDIndex(":, :, :{}, :", start + t);
      k = cache.keys(layer).get(filled); // (1, H, S, h)
      v = cache.values(layer).get(filled);
    }
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(attentionScale); // (B, H, T, S)
    if (mask != null) {
      scores = scores.add(mask);
    }
    NDArray att = scores.softmax(-1);
    if (trace != null && opt.collectAttention()) {
      // (B, H, T, S): the last query row of every head; contiguous as it is when T = 1.
      NDArray last = t == 1 ? att : att.get(new NDIndex("0:1, :, -1:, :"));
      trace.attention = Floats.rows(last, heads);
    }
    NDArray o =
        att.matMul(v) // (B, H, T, h)
            .transpose(0, 2, 1, 3)
            .reshape(b, t, config.dModel()); // (B, T, d)
    if (config.family().hasSparseQkv()) {
      return o; // trax's MultiplicativeConvCausalAttention has no output projection
    }
    return o.matMul(param(ParameterLayout.layer(layer, "attn.wo")));
  }

  /** (B, T, d) -> (B, H, T, h). */
  private NDArray heads(NDArray x) {
    Shape s = x.getShape();
    return x.reshape(s.get(0), s.get(1), config.nHeads(), config.headDim()).transpose(0, 2, 1, 3);
  }

  /**
   * Scaling Transformers sparse QKV (trax MultiplicativeConvCausalAttention): a multiplicative
   * dense layer shared by Q, K and V, m[t, n] = ((h_t * gate_n) proj) + proj_bias[n] for modules n
   * = 0..S-1 (each of width c = d / S), then causal convolutions over (positions, modules): Q and K
   * with kernel (conv_kernel, 3), V with kernel (conv_kernel, 1). Positions before the first are
   * zeros; during decode the last conv_kernel - 1 values of m are the layer's convolution state.
   *
   * @return q, k, v, each (B, T, d)
   */
  private NDArray[] sparseQkv(int layer, NDArray h, KvCache cache, LayerTrace trace) {
    Shape shape = h.getShape();
    long b = shape.get(0);
    long t = shape.get(1);
    int s = config.qkvModules();
    int c = config.moduleDim();
    int lk = config.convKernel();
    NDArray gate = param(ParameterLayout.layer(layer, "attn.gate")); // (S, d)
    NDArray m =
        h.expandDims(2)
            .mul(gate) // (B, T, S, d)
            .matMul(param(ParameterLayout.layer(layer, "attn.proj"))) // (B, T, S, c)
            .add(param(ParameterLayout.layer(layer, "attn.proj_bias")).reshape(s, c));
    if (trace != null) {
      // One copy of the newest position's modules (S, c); the RMS is computed here, in Java
      // (three native calls fewer per layer and token).
      float[] last = Floats.of(t == 1 ? m : m.get(new NDIndex("0, -1, :, :"))); // decode: T = 1
      float[] rms = new float[s];
      for (int i = 0; i < s; i++) {
        double sum = 0;
        for (int j = 0; j < c; j++) {
          float v = last[i * c + j];
          sum += (double) v * v;
        }
        rms[i] = (float) Math.sqrt(sum / c);
      }
      trace.qkvModules = rms;
    }
    NDArray padded = m; // (B, lk - 1 + T, S, c)
    if (lk > 1) {
      NDArray before =
          cache != null
              ? cache.convState(layer)
              : m.getManager().zeros(new Shape(b, lk - 1, s, c), m.getDataType());
      padded = before.concat(m, 1);
      if (cache != null) {
        // Keep the last lk - 1 inputs for the next step (copied in place into the state).
        cache
            .convState(layer)
            .set(new NDIndex(":, :, :, :"), padded.get(new NDIndex(":, -" + (lk - 1) + ":, :, :")));
      }
    }
    // Zero module padding on both sides for the width-3 kernel of Q and K.
    NDArray zeros = padded.getManager().zeros(new Shape(b, lk - 1 + t, 1, c), padded.getDataType());
    NDArray wide = zeros.concat(padded, 2).concat(zeros, 2); // (B, lk - 1 + T, S + 2, c)
    NDList qkWindows = new NDList();
    NDList vWindows = new NDList();
    for (int a = 0; a < lk; a++) {
      for (int j = 0; j < 3; j++) {
        qkWindows.add(wide.get(new NDIndex(":, {}:{}, {}:{}, :", a, a + t, j, j + s)));
      }
      vWindows.add(padded.get(new NDIndex(":, {}:{}, :, :", a, a + t)));
    }
    // Rows of conv_qk are ordered (a, j, channel); of conv_v (a, channel).
    NDArray qk =
        NDArrays.stack(qkWindows, 3) // (B, T, S, lk * 3, c)
            .reshape(b, t, s, (long) lk * 3 * c)
            .matMul(param(ParameterLayout.layer(layer, "attn.conv_qk")))
            .add(param(ParameterLayout.layer(layer, "attn.conv_qk_bias"))); // (B, T, S, 2c)
    NDArray v =
        NDArrays.stack(vWindows, 3) // (B, T, S, lk, c)
            .reshape(b, t, s, (long) lk * c)
            .matMul(param(ParameterLayout.layer(layer, "attn.conv_v")))
            .add(param(ParameterLayout.layer(layer, "attn.conv_v_bias"))); // (B, T, S, c)
    long d = config.dModel();
    return new NDArray[] {
      qk.get(new NDIndex(":, :, :, :{}", c)).reshape(b, t, d),
      qk.get(new NDIndex(":, :, :, {}:", c)).reshape(b, t, d),
      v.reshape(b, t, d)
    };
  }

  /**
   * The index of the largest value in each block of {@code blockSize} consecutive values, by
   * PyTorch's {@code argmax} rule: the first maximum, and a NaN counts as the maximum.
   */
  static int[] blockArgmax(float[] values, int blockSize) {
    int[] out = new int[values.length / blockSize];
    for (int g = 0; g < out.length; g++) {
      int off = g * blockSize;
      int best = 0;
      for (int i = 1; i < blockSize && !Float.isNaN(values[off + best]); i++) {
        if (values[off + i] > values[off + best] || Float.isNaN(values[off + i])) {
          best = i;
        }
      }
      out[g] = best;
    }
    return out;
  }

  /**
   * Scaling Transformers sparse feed-forward over normalised input h (B, T, d); see {@link
   * SparseFeedForward}. At inference only the chosen rows of W1 and W2 are touched.
   */
  private NDArray sparseFfn(int layer, NDArray h, ForwardOptions opt, LayerTrace trace) {
    Shape shape = h.getShape();
    int n = (int) (shape.get(0) * shape.get(1));
    SparseFeedForward ff = sparseFf[layer];
    NDArray flat = h.reshape(n, config.dModel()); // (N, d)
    if (opt.training()) {
      Random r = opt.jitterRng() == null ? new Random(0) : opt.jitterRng();
      return ff.training(flat, config.gumbelTemperature(), config.quantProb(), r).reshape(shape);
    }
    long c0 = System.nanoTime();
    NDArray logits = ff.controllerLogits(flat); // (N, blocks, N_b)
    NDArray chosen = logits.argMax(-1); // (N, blocks): argmax of logits = of log-softmax
    if (trace != null) {
      // The chosen units and each one's softmax probability within its block, from one copy of
      // the logits: the argmax again in Java, with PyTorch's rule (the first maximum; NaN counts as
      // the maximum), so the telemetry names the units the gather used, for two native calls fewer.
      float[] l = Floats.of(logits);
      int nb = config.blockSize();
      int[] units = blockArgmax(l, nb);
      float[] confidence = new float[units.length];
      for (int g = 0; g < units.length; g++) {
        int off = g * nb;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < nb; i++) {
          max = Math.max(max, l[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < nb; i++) {
          sum += Math.exp(l[off + i] - max);
        }
        confidence[g] = (float) (Math.exp(l[off + units[g]] - max) / sum);
      }
      trace.controllerChosen = units;
      trace.controllerConfidence = confidence;
      trace.controllerNanos = System.nanoTime() - c0;
    }
    return ff.gathered(flat, chosen).reshape(shape);
  }

  /**
   * The differentiable router losses of one layer, weighted: aux_loss_weight * E * sum_e f_e P_e
   * (f_e from the routing decisions, a constant; P_e = mean probability, differentiable) +
   * z_loss_weight * mean_t logsumexp(logits_t)^2.
   */
  private NDArray routerLoss(NDArray probs, NDArray logits, Router.Routing routing, int n, int e) {
    int k = config.topK();
    float[] f = new float[e];
    for (int[] ex : routing.experts()) {
      for (int x : ex) {
        f[x] += 1f / (n * k);
      }
    }
    // Scalars as arrays of this step's scope. DJL's mul(float) makes a native scalar that it
    // frees after the call while autograd still holds it for the backward pass: gradients then
    // read freed memory (garbage, NaN). Every scalar in a differentiable expression is an array.
    NDManager m = probs.getManager();
    NDArray auxWeight = m.create((float) (e * config.auxLossWeight()));
    NDArray zWeight = m.create((float) config.zLossWeight());
    NDArray aux = probs.mean(new int[] {0}).mul(m.create(f)).sum().mul(auxWeight);
    NDArray max = logits.max(new int[] {-1}, true).stopGradient(); // (N, 1)
    NDArray lse = logits.sub(max).exp().sum(new int[] {-1}, true).log().add(max); // (N, 1)
    NDArray z = lse.square().mean().mul(zWeight);
    return aux.add(z);
  }

  /** Dense feed-forward relu(h W1^T) W2 of (B, T, d). */
  private NDArray denseFfn(int layer, NDArray h) {
    return ffn(
        h,
        param(ParameterLayout.layer(layer, "ffn.w1")),
        param(ParameterLayout.layer(layer, "ffn.w2")));
  }

  private static NDArray ffn(NDArray h, NDArray w1, NDArray w2) {
    return Ops.relu(h.matMul(w1.transpose())).matMul(w2); // (.., f) -> (.., d)
  }

  /**
   * Mixture of experts over normalised input h (B, T, d). Router in float32; the decisions are
   * taken in Java ({@link Router}) and the gates are recomputed from the probability array so that
   * gradients reach the router in training.
   */
  private NDArray moe(int layer, NDArray h, ForwardOptions opt, LayerTrace trace) {
    Shape shape = h.getShape();
    int n = (int) (shape.get(0) * shape.get(1));
    int e = config.numExperts();
    int k = config.topK();
    long r0 = System.nanoTime();
    NDArray flat = h.reshape(n, config.dModel()); // (N, d)
    NDArray routerIn = flat;
    if (opt.training() && config.routerJitter() > 0 && opt.jitterRng() != null) {
      float[] noise = new float[n * config.dModel()];
      double eps = config.routerJitter();
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) (1 - eps + 2 * eps * opt.jitterRng().nextDouble());
      }
      routerIn = flat.mul(flat.getManager().create(noise, flat.getShape()));
    }
    // Weights and activations are float32 throughout, so the router runs in float32.
    NDArray logits = routerIn.matMul(param(ParameterLayout.layer(layer, "moe.router"))); // (N, E)
    NDArray probs = logits.softmax(-1);
    float[] p = Floats.of(probs);
    int capacity =
        opt.enforceCapacity() && n > 1
            ? Router.capacity(config.capacityFactor(), n, k, e)
            : Integer.MAX_VALUE;
    boolean renorm = config.family() == org.sparsityworkbench.engine.config.Family.TOPK;
    Router.Routing routing =
        Router.route(
            p,
            trace == null || (n == 1 && !trace.firstPass) ? null : Floats.of(logits),
            n,
            e,
            k,
            renorm,
            capacity);
    if (opt.training() && opt.auxLosses() != null) {
      opt.auxLosses().add(routerLoss(probs, logits, routing, n, e));
    }
    long r1 = System.nanoTime();
    if (trace != null) {
      trace.routerProbs = p;
      trace.routing = routing;
      trace.routerNanos = r1 - r0;
    }
    NDArray w1 = param(ParameterLayout.layer(layer, "moe.w1")); // (E, f, d)
    NDArray w2 = param(ParameterLayout.layer(layer, "moe.w2"));
    if (n == 1 && !opt.training()) {
      // Decode fast path: one token, k experts, gates as constants.
      NDArray out = null;
      for (int j = 0; j < k; j++) {
        int x = routing.experts()[0][j];
        NDArray y = ffn(flat, w1.get(x), w2.get(x)).mul(routing.gates()[0][j]);
        out = out == null ? y : out.add(y);
      }
      return out.reshape(shape);
    }
    // Gates as a function of probs: keep only the chosen (and kept) experts, renormalise for top-k.
    float[] chosen = new float[n * e];
    float[] keptMask = new float[n * e];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < k; j++) {
        int x = routing.experts()[t][j];
        chosen[t * e + x] = 1f;
        if (routing.kept()[t][j]) {
          keptMask[t * e + x] = 1f;
        }
      }
    }
    NDManager m = flat.getManager();
    NDArray gates = probs.mul(m.create(chosen, new Shape(n, e)));
    if (renorm) {
      gates = gates.div(gates.sum(new int[] {-1}, true));
    }
    gates = gates.mul(m.create(keptMask, new Shape(n, e))); // (N, E), zero where dropped
    NDList parts = new NDList();
    for (int x = 0; x < e; x++) {
      int count = routing.load()[x];
      if (count == 0) {
        continue;
      }
      long[] idx = new long[count];
      float[] scatter = new float[n * count]; // (N, n_x) one-hot: row t, column = slot of t
      int c = 0;
      for (int t = 0; t < n; t++) {
        if (keptMask[t * e + x] != 0f) {
          scatter[t * count + c] = 1f;
          idx[c++] = t;
        }
      }
      NDArray rows = m.create(idx);
      NDArray y = ffn(flat.get(rows), w1.get(x), w2.get(x)); // (n_x, d)
      NDArray g = gates.get(rows).get(new NDIndex(":, {}:{}", x, x + 1)); // (n_x, 1)
      parts.add(m.create(scatter, new Shape(n, count)).matMul(y.mul(g))); // (N, d)
    }
    NDArray out = flat.zerosLike();
    for (NDArray part : parts) {
      out = out.add(part);
    }
    return out.reshape(shape);
  }
}
