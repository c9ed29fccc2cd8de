package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
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
import org.sparsityworkbench.engine.config.MegabyteConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.io.SafeTensors;
import org.sparsityworkbench.engine.spec.ModelSpec;

/**
 * Megabyte (Yu et al., arXiv 2305.07185): a global model over patches of P bytes and a local model
 * over the bytes of each patch, both stacks of the engine's blocks ({@link NativeFamilies#blocks}).
 * Logits at byte position t are the distribution of byte t given the bytes before it (the inputs
 * are shifted, not the targets). The math, shapes and tensor names are in docs/models.md,
 * "Megabyte".
 */
public final class MegabyteModel implements LanguageModel {
  /** Byte embeddings of the global input, (256, D_G). */
  public static final String BYTE_EMBED = "megabyte.byte_embed";

  /** Byte position embeddings of the global input, (T, D_G). */
  public static final String BYTE_POS = "megabyte.byte_pos";

  /** The global input of patch 0, (P D_G). */
  public static final String GLOBAL_PAD = "megabyte.global_pad";

  /** The projection of a global output chunk into the local model, (D_G, D_L). */
  public static final String GLOBAL_TO_LOCAL = "megabyte.global_to_local";

  /** The local input's previous-byte embedding at the first byte of a patch, (D_L). */
  public static final String LOCAL_PAD = "megabyte.local_pad";

  /** Prefix of the global model's blocks and final norm. */
  public static final String GLOBAL = "global.";

  /** Prefix of the local model's byte table (also its tied head), blocks and final norm. */
  public static final String LOCAL = "local.";

  private final MegabyteConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final List<Block> globalBlocks;
  private final RmsNorm globalNorm;
  private final List<Block> localBlocks;
  private final OutputHead localHead;
  private final ModelSpec globalSpec;
  private final ModelSpec localSpec;
  private final Path directory;

  private MegabyteModel(
      MegabyteConfig config, NDManager manager, Map<String, NDArray> params, Path directory) {
    this.config = config;
    this.manager = manager;
    this.params = params;
    this.directory = directory;
    this.globalSpec = NativeFamilies.spec(config.global());
    this.localSpec = NativeFamilies.spec(config.local());
    this.globalBlocks = NativeFamilies.blocks(config.global(), stack(GLOBAL), manager);
    this.localBlocks = NativeFamilies.blocks(config.local(), stack(LOCAL), manager);
    this.globalNorm =
        new RmsNorm(
            params.get(GLOBAL + "final_norm.weight"),
            manager.create((float) config.global().normEps()));
    this.localHead =
        new OutputHead(
            new RmsNorm(
                params.get(LOCAL + "final_norm.weight"),
                manager.create((float) config.local().normEps())),
            params.get(LOCAL + "embed.weight"),
            null);
  }

  /** The parameters of one stack, by their names inside it. */
  private Map<String, NDArray> stack(String prefix) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    params.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          }
        });
    return out;
  }

  /** Every tensor of a Megabyte model of this configuration, in file order. */
  public static List<ParameterLayout.Param> layout(MegabyteConfig c) {
    long dg = c.globalByteDim();
    long dl = c.local().dModel();
    List<ParameterLayout.Param> ps = new ArrayList<>();
    ps.add(
        new ParameterLayout.Param(
            BYTE_EMBED, new long[] {256, dg}, ParameterLayout.Role.EMBEDDING));
    ps.add(
        new ParameterLayout.Param(
            BYTE_POS, new long[] {c.contextLength(), dg}, ParameterLayout.Role.POSITION));
    ps.add(
        new ParameterLayout.Param(
            GLOBAL_PAD, new long[] {c.patchSize() * dg}, ParameterLayout.Role.EMBEDDING));
    for (ParameterLayout.Param p : ParameterLayout.of(c.global())) {
      if (p.name().startsWith("layers.") || p.name().equals("final_norm.weight")) {
        ps.add(new ParameterLayout.Param(GLOBAL + p.name(), p.shape(), p.role()));
      }
    }
    ps.add(
        new ParameterLayout.Param(
            GLOBAL_TO_LOCAL, new long[] {dg, dl}, ParameterLayout.Role.ATTENTION));
    ps.add(new ParameterLayout.Param(LOCAL_PAD, new long[] {dl}, ParameterLayout.Role.EMBEDDING));
    for (ParameterLayout.Param p : ParameterLayout.of(c.local())) {
      if (!p.name().equals("pos_embed.weight")) {
        ps.add(new ParameterLayout.Param(LOCAL + p.name(), p.shape(), p.role()));
      }
    }
    return ps;
  }

  /** Total number of parameters. */
  public static long parameters(MegabyteConfig c) {
    return layout(c).stream().mapToLong(ParameterLayout.Param::numel).sum();
  }

  public MegabyteConfig config() {
    return config;
  }

  @Override
  public String family() {
    return MegabyteConfig.FAMILY;
  }

  /** The global model's layers (its context in patches): what the routing views show. */
  @Override
  public ModelSpec spec() {
    return globalSpec;
  }

  /** The local model's shape (its context is one patch). */
  public ModelSpec localSpec() {
    return localSpec;
  }

  @Override
  public int contextLength() {
    return config.contextLength();
  }

  @Override
  public org.sparsityworkbench.engine.tokenizer.Tokenizer tokenizer() {
    return org.sparsityworkbench.engine.tokenizer.ByteTokenizer.INSTANCE;
  }

  @Override
  public boolean isNative() {
    return true;
  }

  @Override
  public String configJson() {
    return config.toJson();
  }

  @Override
  public ModelSummary summary() {
    return ModelSummary.of(config);
  }

  /** No logit lens: a byte's prediction is the local model's, after the global one. */
  @Override
  public boolean supportsLogitLens() {
    return false;
  }

  /** The directory the model was read from; null for one built in memory. */
  @Override
  public Path directory() {
    return directory;
  }

  /** The parameters by name (training updates them in place). */
  public Map<String, NDArray> params() {
    return params;
  }

  /**
   * Random weights as {@link TransformerModel#random} draws them, each stack's residual projections
   * scaled by its own depth; the pads and the projection N(0, 0.02). Deterministic for a seed.
   */
  public static MegabyteModel random(MegabyteConfig c, long seed, NDManager parent) {
    Random rng = new Random(seed);
    Map<String, float[]> values = new LinkedHashMap<>();
    for (ParameterLayout.Param p : layout(c)) {
      int layers = p.name().startsWith(GLOBAL) ? c.global().nLayers() : c.local().nLayers();
      double residualStd = 0.02 / Math.sqrt(2.0 * layers);
      float[] v = new float[Math.toIntExact(p.numel())];
      if (p.role() == ParameterLayout.Role.NORM) {
        Arrays.fill(v, 1f);
      } else if (!p.name().endsWith("_bias")) {
        double std = TransformerModel.initStd(p, residualStd);
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextGaussian() * std);
        }
      }
      values.put(p.name(), v);
    }
    return fromValues(c, values, parent, null);
  }

  /** Builds a model from float values by name (shapes from the layout). */
  public static MegabyteModel fromValues(
      MegabyteConfig c, Map<String, float[]> values, NDManager parent, Path dir) {
    NDManager m = parent.newSubManager();
    try {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (ParameterLayout.Param p : layout(c)) {
        float[] v = values.get(p.name());
        if (v == null || v.length != p.numel()) {
          throw new IllegalArgumentException("values for " + p.name() + " missing or mis-sized");
        }
        NDArray a = m.create(v, new Shape(p.shape()));
        a.setName(p.name());
        params.put(p.name(), a);
      }
      return new MegabyteModel(c, m, params, dir);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Reads a Megabyte model directory ({@code config.json} with {@code "family": "megabyte"} and
   * {@code model.safetensors}); every tensor is checked against the layout, by name and shape,
   * before any is used.
   */
  public static MegabyteModel load(Path dir, NDManager parent) throws ModelFormatException {
    Path configFile = dir.resolve(TransformerModel.CONFIG_FILE);
    Path weightsFile = dir.resolve(TransformerModel.WEIGHTS_FILE);
    if (!Files.isRegularFile(weightsFile)) {
      throw new ModelFormatException(weightsFile + ": missing (every model directory needs one)");
    }
    MegabyteConfig c = MegabyteConfig.read(configFile);
    Map<String, float[]> values =
        TransformerModel.readValues(weightsFile, configFile, layout(c), MegabyteConfig.FAMILY);
    return fromValues(c, values, parent, dir);
  }

  /** Writes {@code config.json} and {@code model.safetensors} (float32). */
  public void save(Path dir, Map<String, String> metadata) throws IOException {
    Files.createDirectories(dir);
    List<SafeTensors.Tensor> tensors = new ArrayList<>();
    for (ParameterLayout.Param p : layout(config)) {
      ByteBuffer b =
          ByteBuffer.wrap(params.get(p.name()).toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
      tensors.add(new SafeTensors.Tensor(p.name(), SafeTensors.DType.F32, p.shape(), b));
    }
    SafeTensors.write(dir.resolve(TransformerModel.WEIGHTS_FILE), tensors, metadata);
    Path tmp = org.sparsityworkbench.engine.io.TempFiles.create(dir, TransformerModel.CONFIG_FILE);
    Files.writeString(tmp, config.toJson() + "\n", StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dir.resolve(TransformerModel.CONFIG_FILE),
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() {
    manager.close();
  }

  // ---------------------------------------------------------------------------------------------
  // The full forward pass (training, and the reference of the cached decode)
  // ---------------------------------------------------------------------------------------------

  /**
   * Logits of every byte position: row t is the distribution of byte t given bytes 0..t-1.
   *
   * @param bytes (B, L) int64 byte values, 1 <= L <= context_length
   * @param globalTraces receives one trace per global layer (routing, controller choices), or null
   * @return (B, L, 256)
   */
  public NDArray forward(
      NDArray bytes, TransformerModel.ForwardOptions opt, List<LayerTrace> globalTraces) {
    Shape s = bytes.getShape();
    if (s.dimension() != 2 || s.get(1) < 1 || s.get(1) > config.contextLength()) {
      throw new IllegalArgumentException(
          "bytes must be (B, L) with 1 <= L <= context_length "
              + config.contextLength()
              + ", got "
              + s);
    }
    int b = (int) s.get(0);
    int len = (int) s.get(1);
    int p = config.patchSize();
    int k = (len + p - 1) / p;
    NDManager m = bytes.getManager();
    NDArray x = bytes;
    if (k * p > len) {
      // The last patch filled with zeros: they only feed positions after len (cut below).
      x = x.concat(m.zeros(new Shape(b, k * p - len), DataType.INT64), 1);
    }
    int dg = config.globalByteDim();
    NDArray e = embedBytes(x, 0, k * p); // (B, K P, D_G): byte embedding plus byte position
    NDArray patches = e.reshape(b, k, p * dg);
    NDArray pad = params.get(GLOBAL_PAD).reshape(1, 1, p * dg).broadcast(new Shape(b, 1, p * dg));
    NDArray globalIn =
        k == 1 ? pad : pad.concat(patches.get(new NDIndex().addAllDim().addSliceDim(0, k - 1)), 1);
    NDArray globalOut = global(globalIn, null, opt, globalTraces); // (B, K, P D_G)
    NDArray chunks = toLocal(globalOut, b * k); // (B K, P, D_L)
    NDArray localIn = chunks.add(previousBytes(x.reshape(b * k, p))); // (B K, P, D_L)
    NDArray logits = local(localIn, null, opt, null); // (B K, P, 256)
    logits = logits.reshape(b, k * p, 256);
    return k * p > len ? logits.get(new NDIndex().addAllDim().addSliceDim(0, len)) : logits;
  }

  /** e_t = E_G[x_t] + Pos_G[t] for positions [start, start + n) of x's columns. */
  private NDArray embedBytes(NDArray x, int start, int n) {
    long b = x.getShape().get(0);
    NDArray table = params.get(BYTE_EMBED);
    NDArray e = table.get(x.flatten()).reshape(b, n, config.globalByteDim());
    return e.add(params.get(BYTE_POS).get(new NDIndex().addSliceDim(start, start + n)));
  }

  /**
   * The local input's byte part for each patch (rows of P bytes): the pad at p = 0, else E_L of the
   * byte before.
   *
   * @return (R, P, D_L)
   */
  private NDArray previousBytes(NDArray rows) {
    long r = rows.getShape().get(0);
    int p = config.patchSize();
    int dl = config.local().dModel();
    NDArray pad = params.get(LOCAL_PAD).reshape(1, 1, dl).broadcast(new Shape(r, 1, dl));
    if (p == 1) {
      return pad;
    }
    NDArray before = rows.get(new NDIndex().addAllDim().addSliceDim(0, p - 1));
    NDArray emb = params.get(LOCAL + "embed.weight").get(before.flatten()).reshape(r, p - 1, dl);
    return pad.concat(emb, 1);
  }

  /** The global output of patches (B, K, P D_G) split per byte and projected: (R, P, D_L). */
  private NDArray toLocal(NDArray globalOut, long rows) {
    return globalOut
        .reshape(rows, config.patchSize(), config.globalByteDim())
        .matMul(params.get(GLOBAL_TO_LOCAL));
  }

  /** The global blocks and final norm over patch inputs (B, K, P D_G), from the cache's length. */
  private NDArray global(
      NDArray in, KvCache cache, TransformerModel.ForwardOptions opt, List<LayerTrace> traces) {
    NDArray h = stackForward(globalBlocks, in, cache, opt, traces);
    return globalNorm.apply(h);
  }

  /** The local blocks, final norm and head over local inputs (R, P', D_L): (R, P', 256). */
  private NDArray local(
      NDArray in, KvCache cache, TransformerModel.ForwardOptions opt, List<LayerTrace> traces) {
    return localHead.forward(stackForward(localBlocks, in, cache, opt, traces));
  }

  private static NDArray stackForward(
      List<Block> blocks,
      NDArray x,
      KvCache cache,
      TransformerModel.ForwardOptions opt,
      List<LayerTrace> traces) {
    int t = (int) x.getShape().get(1);
    int start = cache == null ? 0 : cache.length();
    NDArray mask = t > 1 ? TransformerModel.causalMask(x.getManager(), t, start) : null;
    Pass pass = new Pass(cache, start, t, mask, null, opt);
    for (int i = 0; i < blocks.size(); i++) {
      LayerTrace trace = traces == null ? null : new LayerTrace();
      x = blocks.get(i).forward(i, x, pass, trace);
      if (trace != null) {
        traces.add(trace);
      }
    }
    if (cache != null) {
      cache.advance(t);
    }
    return x;
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding with a cache at each level
  // ---------------------------------------------------------------------------------------------

  /** A decoder over one byte sequence; not thread-safe. */
  public Decoder decoder(TransformerModel.ForwardOptions opt) {
    return new Decoder(opt);
  }

  /** What the last prefill or step did, for telemetry. */
  public record Step(
      int position,
      int patch,
      int inPatch,
      boolean globalRan,
      long globalNanos,
      long localNanos,
      List<LayerTrace> globalTraces,
      List<LayerTrace> localTraces) {}

  /**
   * Decodes with a KV cache per level: the global model's grows by one position when a patch begins
   * (it then reads the patch before, whose bytes are all known), the local model's is emptied at
   * every patch and grows by one position per byte.
   */
  public final class Decoder implements AutoCloseable {
    private final NDManager scope = manager.newSubManager();
    private final KvCache globalCache;
    private final KvCache localCache;
    private final TransformerModel.ForwardOptions opt;
    private int[] bytes = new int[64];
    private int length; // bytes known; the next position to predict
    private NDArray chunks; // (1, P, D_L): the current patch's global output, projected
    private int globalRuns;
    private Step last;
    private List<Step> prefillSteps;

    private org.sparsityworkbench.engine.intervention.Interventions interventions =
        org.sparsityworkbench.engine.intervention.Interventions.NONE;

    private Decoder(TransformerModel.ForwardOptions opt) {
      this.opt = opt;
      this.globalCache = new KvCache(scope, globalSpec, config.patches());
      this.localCache = new KvCache(scope, localSpec, config.patchSize());
    }

    /**
     * Puts interventions on the global model in force from its next step on (checked against {@link
     * #spec()} by whoever made them); the local model takes none.
     */
    public void setInterventions(org.sparsityworkbench.engine.intervention.Interventions i) {
      interventions = i == null ? org.sparsityworkbench.engine.intervention.Interventions.NONE : i;
    }

    private TransformerModel.ForwardOptions globalOpt() {
      return interventions.isEmpty() ? opt : opt.with(interventions);
    }

    /** Bytes known so far (prompt and steps). */
    public int length() {
      return length;
    }

    /** Positions the global model has run (one per patch begun). */
    public int globalRuns() {
      return globalRuns;
    }

    /** Whether another byte can be predicted (the next position is inside the context). */
    public boolean canStep() {
      return length + 1 < config.contextLength();
    }

    public Step last() {
      return last;
    }

    /**
     * Reads a prompt (0 <= n < context_length bytes) and returns the distribution of byte n: the
     * global model runs over patches 0..n/P at once, the local model over the positions of patch
     * n/P up to n.
     */
    public float[] prefill(int[] prompt) {
      return prefill(prompt, false);
    }

    /**
     * As {@link #prefill(int[])}; {@code stepwise} runs the global model one patch position at a
     * time and the local model one byte at a time, as the steps of a decode would (the same
     * numbers, within float rounding), so that {@link #prefillSteps} has each one's traces.
     */
    public float[] prefill(int[] prompt, boolean stepwise) {
      if (length > 0 || globalRuns > 0) {
        throw new IllegalStateException("prefill once, before any step");
      }
      if (prompt.length >= config.contextLength()) {
        throw new IllegalArgumentException(
            "a prompt of "
                + prompt.length
                + " bytes leaves no position to predict in context_length "
                + config.contextLength());
      }
      for (int v : prompt) {
        if (v < 0 || v > 255) {
          throw new IllegalArgumentException("byte value " + v + " outside 0..255");
        }
        append(v);
      }
      int p = config.patchSize();
      int k = length / p; // the patch of the position predicted
      try (NDScope step = new NDScope()) {
        step.suppressNotUsedWarning();
        if (stepwise) {
          return prefillStepwise(k);
        }
        long t0 = System.nanoTime();
        List<LayerTrace> traces = new ArrayList<>();
        NDArray globalIn = globalInputs(0, k + 1); // (1, k + 1, P D_G)
        NDArray out = global(globalIn, globalCache, globalOpt(), traces);
        setChunks(out.get(new NDIndex().addAllDim().addSliceDim(k, k + 1)));
        globalRuns += k + 1;
        long t1 = System.nanoTime();
        List<LayerTrace> local = new ArrayList<>();
        float[] logits = localPositions(k * p, length - k * p + 1, local);
        last =
            new Step(
                length, k, length - k * p, true, t1 - t0, System.nanoTime() - t1, traces, local);
        return logits;
      }
    }

    private float[] prefillStepwise(int k) {
      int p = config.patchSize();
      prefillSteps = new ArrayList<>();
      long globalTotal = 0;
      List<LayerTrace> lastGlobal = List.of();
      long globalK = 0;
      for (int j = 0; j <= k; j++) {
        long t0 = System.nanoTime();
        List<LayerTrace> traces = new ArrayList<>();
        NDArray out = global(globalInputs(j, 1), globalCache, globalOpt(), traces);
        if (j == k) {
          setChunks(out);
        }
        globalRuns++;
        long dt = System.nanoTime() - t0;
        globalTotal += dt;
        if (j < k) {
          prefillSteps.add(new Step(j * p, j, 0, true, dt, 0, traces, List.of()));
        } else {
          lastGlobal = traces;
          globalK = dt;
        }
      }
      float[] logits = null;
      long localTotal = 0;
      List<LayerTrace> lastLocal = List.of();
      for (int i = 0; i <= length - k * p; i++) {
        long t0 = System.nanoTime();
        List<LayerTrace> local = new ArrayList<>();
        logits = localPositions(k * p + i, 1, local);
        long dt = System.nanoTime() - t0;
        localTotal += dt;
        lastLocal = local;
        prefillSteps.add(
            new Step(
                k * p + i,
                k,
                i,
                i == 0,
                i == 0 ? globalK : 0,
                dt,
                i == 0 ? lastGlobal : List.of(),
                local));
      }
      last =
          new Step(length, k, length - k * p, true, globalTotal, localTotal, lastGlobal, lastLocal);
      return logits;
    }

    /**
     * The steps of a stepwise prefill, in order: each global position before the last patch's, then
     * each local position of the last patch (its first with the last global position); null after a
     * prefill at once.
     */
    public List<Step> prefillSteps() {
      return prefillSteps;
    }

    /** Appends a byte and returns the distribution of the next. */
    public float[] step(int value) {
      if (value < 0 || value > 255) {
        throw new IllegalArgumentException("byte value " + value + " outside 0..255");
      }
      if (length + 1 >= config.contextLength()) {
        throw new IllegalStateException(
            "position " + (length + 1) + " is past context_length " + config.contextLength());
      }
      append(value);
      int p = config.patchSize();
      int k = length / p;
      int inPatch = length - k * p;
      try (NDScope step = new NDScope()) {
        step.suppressNotUsedWarning();
        long t0 = System.nanoTime();
        boolean ran = inPatch == 0;
        List<LayerTrace> traces = ran ? new ArrayList<>() : List.of();
        if (ran) {
          // A patch begins: the global model reads the patch just completed.
          setChunks(global(globalInputs(k, 1), globalCache, globalOpt(), traces));
          globalRuns++;
          localCache.reset();
        }
        long t1 = System.nanoTime();
        List<LayerTrace> local = new ArrayList<>();
        float[] logits = localPositions(length, 1, local);
        last =
            new Step(
                length, k, inPatch, ran, ran ? t1 - t0 : 0, System.nanoTime() - t1, traces, local);
        return logits;
      }
    }

    private void append(int v) {
      if (length == bytes.length) {
        bytes = Arrays.copyOf(bytes, 2 * bytes.length);
      }
      bytes[length++] = v;
    }

    /** Global inputs of patches [from, from + n): the pad for patch 0, else the patch before. */
    private NDArray globalInputs(int from, int n) {
      int p = config.patchSize();
      int dg = config.globalByteDim();
      List<NDArray> parts = new ArrayList<>();
      int first = from;
      if (from == 0) {
        parts.add(params.get(GLOBAL_PAD).reshape(1, 1, p * dg));
        first = 1;
      }
      if (from + n > first) {
        int start = (first - 1) * p;
        int count = (from + n - first) * p;
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
          ids[i] = bytes[start + i];
        }
        NDArray x = manager.create(ids, new Shape(1, count));
        parts.add(embedBytes(x, start, count).reshape(1, from + n - first, p * dg));
      }
      return parts.size() == 1
          ? parts.getFirst()
          : NDArrays.concat(new ai.djl.ndarray.NDList(parts), 1);
    }

    private void setChunks(NDArray globalOut) {
      NDArray c = toLocal(globalOut, 1); // (1, P, D_L), kept past the step's scope
      NDScope.unregister(c);
      if (chunks != null) {
        chunks.close();
      }
      chunks = c;
    }

    /**
     * Runs the local model over positions [from, from + n) of the current patch (from its cache)
     * and returns the last position's logits.
     */
    private float[] localPositions(int from, int n, List<LayerTrace> traces) {
      int p = config.patchSize();
      int inPatch = from % p;
      int dl = config.local().dModel();
      NDArray prev;
      if (inPatch == 0) {
        NDArray pad = params.get(LOCAL_PAD).reshape(1, 1, dl);
        if (n == 1) {
          prev = pad;
        } else {
          prev = pad.concat(localBytes(from, n - 1), 1);
        }
      } else {
        prev = localBytes(from - 1, n);
      }
      NDArray in =
          chunks.get(new NDIndex().addAllDim().addSliceDim(inPatch, inPatch + n)).add(prev);
      NDArray logits = local(in, localCache, opt, traces); // (1, n, 256)
      return logits.get(new NDIndex().addAllDim().addSliceDim(n - 1, n)).toFloatArray();
    }

    /** E_L of bytes [from, from + n): (1, n, D_L). */
    private NDArray localBytes(int from, int n) {
      long[] ids = new long[n];
      for (int i = 0; i < n; i++) {
        ids[i] = bytes[from + i];
      }
      return params
          .get(LOCAL + "embed.weight")
          .get(manager.create(ids, new Shape(n)))
          .reshape(1, n, config.local().dModel());
    }

    @Override
    public void close() {
      if (chunks != null) {
        chunks.close();
      }
      scope.close();
    }
  }
}
