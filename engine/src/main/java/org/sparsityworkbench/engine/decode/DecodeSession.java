package org.sparsityworkbench.engine.decode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.sparsityworkbench.engine.model.Floats;
import org.sparsityworkbench.engine.model.KvCache;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.Router;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * One sequence being decoded: the prompt's prefill, then one token per {@link #step()}. Each call
 * runs inside its own {@link NDScope}, so every native array it makes is freed when it returns;
 * only the preallocated KV cache lives across steps.
 *
 * <p>Confined to the thread that created it (PyTorch scopes are per thread): the engine's executor.
 */
public final class DecodeSession implements TokenDecoder {
  private final TransformerModel model;
  private final ModelSpec spec;
  private final Tokenizer tokenizer;
  private final DecodeOptions options;
  private KvCache cache;
  private final Sampler sampler;
  private final Tokenizer.Stream text;
  private final StringBuilder generated = new StringBuilder();
  private final Thread owner = Thread.currentThread();
  private float[] nextLogits;
  private int steps;
  private long stepNanos;

  /** System.nanoTime() when the first step began, 0 before it. */
  private long firstStepStart;

  public DecodeSession(TransformerModel model, DecodeOptions options) {
    this.model = model;
    this.spec = model.spec();
    this.tokenizer = model.tokenizer();
    this.text = tokenizer.newStream();
    this.options = options;
    this.sampler = new Sampler(options.sampling());
    this.interventions =
        org.sparsityworkbench.engine.intervention.Interventions.of(options.interventions(), spec);
  }

  /** The interventions in force (checked against the model). */
  private org.sparsityworkbench.engine.intervention.Interventions interventions;

  /**
   * Puts other interventions in force from the next step on (on the session's thread).
   *
   * @throws IllegalArgumentException naming one that does not fit the model; the old ones stay
   */
  @Override
  public void setInterventions(
      java.util.List<org.sparsityworkbench.engine.intervention.Intervention> list) {
    checkThread();
    interventions = org.sparsityworkbench.engine.intervention.Interventions.of(list, spec);
  }

  /** A cache that reserves the whole context unless that is large (then prompt + max tokens). */
  private static final long WHOLE_CONTEXT_BYTES = 256L << 20;

  /** The prompt's token ids, checked before anything is computed: not empty, fits the context. */
  public static int[] encodePrompt(TransformerModel model, String prompt) {
    return TokenDecoder.encodePrompt(model, prompt);
  }

  /** Checks prompt ids: not empty, each in the vocabulary, fits the context. */
  public static void validatePrompt(int[] ids, ModelSpec spec) {
    if (ids == null || ids.length == 0) {
      throw new IllegalArgumentException("the prompt is empty: give at least one character");
    }
    if (ids.length > spec.contextLength()) {
      throw new IllegalArgumentException(
          "the prompt is "
              + ids.length
              + " tokens but the model's context_length is "
              + spec.contextLength());
    }
    for (int id : ids) {
      if (id < 0 || id >= spec.vocabSize()) {
        throw new IllegalArgumentException(
            "token id " + id + " is outside the vocabulary 0.." + (spec.vocabSize() - 1));
      }
    }
  }

  /** Encodes the prompt, runs it through the model and returns the prefill record. */
  public Records.Prefill prefill(String prompt) {
    return prefill(encodePrompt(model, prompt));
  }

  /** Runs prompt token ids through the model and returns the prefill record. */
  @Override
  public Records.Prefill prefill(int[] prompt) {
    checkThread();
    validatePrompt(prompt, spec);
    if (cache != null) {
      throw new IllegalStateException("prefill was already run for this session");
    }
    int capacity = spec.contextLength();
    if (KvCache.bytes(spec, capacity) > WHOLE_CONTEXT_BYTES) {
      long need = (long) prompt.length + Math.max(1, options.maxTokens());
      capacity = (int) Math.min(capacity, need);
    }
    cache = new KvCache(model.manager(), spec, capacity);
    long t0 = System.nanoTime();
    List<LayerTrace> traces = options.telemetry() == TelemetryLevel.OFF ? null : new ArrayList<>();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      long[] ids = new long[prompt.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = prompt[i];
      }
      NDArray tokens = model.manager().create(ids, new Shape(1, ids.length));
      var opt =
          new TransformerModel.ForwardOptions(false, options.enforceCapacity(), false, false, null)
              .with(interventions);
      nextLogits = Floats.of(model.forward(tokens, cache, opt, traces));
    }
    double us = (System.nanoTime() - t0) / 1e3;
    List<Records.PrefillLayer> layers = null;
    if (traces != null && (spec.routed() || spec.hasSparseFf())) {
      layers = new ArrayList<>();
      for (int i = 0; i < traces.size(); i++) {
        LayerTrace tr = traces.get(i);
        layers.add(
            new Records.PrefillLayer(
                i,
                tr.routing == null ? null : prefillRouter(tr, prompt.length),
                tr.controllerChosen == null ? null : prefillController(tr, prompt.length)));
      }
    }
    String[] texts = new String[prompt.length];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = tokenizer.label(prompt[i]);
    }
    Records.Prefill record =
        new Records.Prefill(prompt.length, prompt.clone(), texts, us, top(nextLogits), layers);
    return interventions.isEmpty() ? record : record.withInterventions(interventions.describe());
  }

  private Records.PrefillRouter prefillRouter(LayerTrace tr, int n) {
    Router.Routing r = tr.routing;
    float[][] probs = null;
    if (options.telemetry() == TelemetryLevel.FULL) {
      probs = new float[n][];
      for (int t = 0; t < n; t++) {
        probs[t] = Router.row(tr.routerProbs, t, tr.routing.load().length);
      }
    }
    return new Records.PrefillRouter(
        probs,
        r.experts(),
        r.kept(),
        r.load(),
        r.capacity() == Integer.MAX_VALUE ? -1 : r.capacity(),
        r.dropped(),
        r.droppedTokens(),
        r.auxLoss(),
        r.zLoss());
  }

  private Records.PrefillController prefillController(LayerTrace tr, int n) {
    int blocks = tr.controllerChosen.length / n;
    int[][] chosen = new int[n][];
    for (int t = 0; t < n; t++) {
      chosen[t] = Arrays.copyOfRange(tr.controllerChosen, t * blocks, (t + 1) * blocks);
    }
    return new Records.PrefillController(spec.sparseBlockSize(), chosen);
  }

  /** True while the context has room for another token and the prefill has run. */
  @Override
  public boolean canStep() {
    return nextLogits != null && cache != null && cache.length() < cache.capacity();
  }

  /** Samples the next token from the last distribution, processes it and returns its record. */
  @Override
  public Records.Token step() {
    return advance(-1);
  }

  /**
   * Processes a given token instead of sampling one (teacher forcing: another model's choice).
   *
   * @param token a token id of the model's vocabulary
   */
  @Override
  public Records.Token stepWith(int token) {
    if (token < 0 || token >= spec.vocabSize()) {
      throw new IllegalArgumentException(
          "token " + token + " is outside the vocabulary 0.." + (spec.vocabSize() - 1));
    }
    return advance(token);
  }

  private Records.Token advance(int forced) {
    checkThread();
    if (nextLogits == null) {
      throw new IllegalStateException("run prefill before step");
    }
    if (!canStep()) {
      throw new IllegalStateException("the context is full (" + cache.capacity() + " positions)");
    }
    long t0 = System.nanoTime();
    if (firstStepStart == 0) {
      firstStepStart = t0;
    }
    int token = forced >= 0 ? forced : sampler.sample(nextLogits);
    int position = cache.length();
    TelemetryLevel level = options.telemetry();
    List<LayerTrace> traces = level == TelemetryLevel.OFF ? null : new ArrayList<>();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray in = model.manager().create(new long[] {token}, new Shape(1, 1));
      var opt =
          TransformerModel.ForwardOptions.inference(level == TelemetryLevel.FULL)
              .with(interventions)
              .withLogitLens(options.logitLens() && level != TelemetryLevel.OFF);
      nextLogits = Floats.of(model.forward(in, cache, opt, traces));
    }
    long dt = System.nanoTime() - t0;
    stepNanos += dt;
    String piece = text.push(token);
    generated.append(piece);
    List<Records.TokenLayer> layers = traces == null ? null : tokenLayers(traces);
    List<Records.TopToken> top = level == TelemetryLevel.OFF ? null : top(nextLogits);
    Records.Token record =
        new Records.Token(steps++, position, token, piece, top, dt / 1e3, layers);
    return interventions.isEmpty() ? record : record.withInterventions(interventions.describe());
  }

  private List<Records.TokenLayer> tokenLayers(List<LayerTrace> traces) {
    return tokenLayers(
        traces,
        options.telemetry() == TelemetryLevel.FULL,
        spec.sparseBlockSize(),
        lens -> top(lens, 3));
  }

  /**
   * A step's layer records from its traces: routing (probabilities only when {@code full}),
   * attention, controller, QKV modules, timing, and the logit lens through {@code lens}.
   */
  static List<Records.TokenLayer> tokenLayers(
      List<LayerTrace> traces,
      boolean full,
      int sparseBlockSize,
      java.util.function.Function<float[], List<Records.TopToken>> lens) {
    List<Records.TokenLayer> out = new ArrayList<>(traces.size());
    for (int i = 0; i < traces.size(); i++) {
      LayerTrace tr = traces.get(i);
      Records.TokenRouter router = null;
      if (tr.routing != null) {
        int e = tr.routerProbs.length;
        router =
            new Records.TokenRouter(
                full ? tr.routerProbs.clone() : null,
                tr.routing.experts()[0],
                tr.routing.gates()[0],
                Router.entropy(tr.routerProbs, 0, e),
                tr.sharedGate == null ? null : (double) tr.sharedGate[0]);
      }
      Records.Attention att = tr.attention == null ? null : new Records.Attention(tr.attention);
      Records.Controller controller =
          tr.controllerChosen == null
              ? null
              : new Records.Controller(
                  sparseBlockSize, tr.controllerChosen, tr.controllerConfidence);
      Records.Qkv qkv = tr.qkvModules == null ? null : new Records.Qkv(tr.qkvModules);
      Records.Timing timing =
          new Records.Timing(
              tr.attentionNanos / 1e3,
              tr.routing == null ? null : tr.routerNanos / 1e3,
              (tr.ffnNanos - tr.controllerNanos) / 1e3,
              tr.controllerChosen == null ? null : tr.controllerNanos / 1e3);
      out.add(
          new Records.TokenLayer(
              i,
              att,
              router,
              controller,
              qkv,
              timing,
              tr.lens == null ? null : lens.apply(tr.lens)));
    }
    return out;
  }

  /** The most probable next tokens at temperature 1 (the model's own distribution). */
  private List<Records.TopToken> top(float[] logits) {
    return top(logits, options.telemetry() == TelemetryLevel.FULL ? 10 : 5);
  }

  private List<Records.TopToken> top(float[] logits, int n) {
    double[] p = Sampler.softmax(logits, 1.0);
    int[] order = Sampler.top(p, n);
    List<Records.TopToken> top = new ArrayList<>(n);
    for (int i = 0; i < n && i < order.length; i++) {
      top.add(new Records.TopToken(order[i], tokenizer.label(order[i]), p[order[i]]));
    }
    return top;
  }

  /** The latest next-token logits (a copy), or null before the prefill. */
  @Override
  public float[] nextLogits() {
    return nextLogits == null ? null : nextLogits.clone();
  }

  /** Tokens generated so far. */
  @Override
  public int steps() {
    return steps;
  }

  /** The end record for a finished decode. */
  @Override
  public Records.End end(String reason) {
    double tps = stepNanos == 0 ? 0 : steps / (stepNanos / 1e9);
    long wall = firstStepStart == 0 ? 0 : System.nanoTime() - firstStepStart;
    double wallTps = wall == 0 ? 0 : steps / (wall / 1e9);
    return new Records.End(reason, steps, tps, wallTps, generated.toString());
  }

  /**
   * Decodes a prompt: prefill, then steps until max tokens, a full context or cancellation. Every
   * record goes to the sink on this thread, the end record last.
   */
  public static Records.End run(
      LanguageModel model,
      String prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      BooleanSupplier cancelled) {
    return run(model, TokenDecoder.encodePrompt(model, prompt), options, sink, cancelled);
  }

  /** {@link #run(LanguageModel, String, DecodeOptions, Consumer, BooleanSupplier)} from ids. */
  public static Records.End run(
      LanguageModel model,
      int[] prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      BooleanSupplier cancelled) {
    return run(model, prompt, options, sink, cancelled, () -> null);
  }

  /**
   * As {@link #run(LanguageModel, int[], DecodeOptions, Consumer, BooleanSupplier)}, with a model
   * of any family; before every step, {@code interventions} may hand over the interventions in
   * force from that step on (null: no change).
   */
  public static Records.End run(
      LanguageModel model,
      int[] prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      BooleanSupplier cancelled,
      java.util.function.Supplier<List<org.sparsityworkbench.engine.intervention.Intervention>>
          interventions) {
    TokenDecoder.validatePrompt(prompt, model);
    try (TokenDecoder s = TokenDecoder.open(model, options)) {
      sink.accept(s.prefill(prompt));
      String reason = "max_tokens";
      while (s.steps() < options.maxTokens()) {
        if (cancelled.getAsBoolean()) {
          reason = "cancelled";
          break;
        }
        if (!s.canStep()) {
          reason = "context_full";
          break;
        }
        List<org.sparsityworkbench.engine.intervention.Intervention> change = interventions.get();
        if (change != null) {
          s.setInterventions(change);
        }
        sink.accept(s.step());
      }
      Records.End end = s.end(reason);
      sink.accept(end);
      return end;
    }
  }

  private void checkThread() {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException(
          "a decode session is confined to the thread that created it (" + owner.getName() + ")");
    }
  }

  @Override
  public void close() {
    if (cache != null) {
      cache.close();
    }
  }
}
