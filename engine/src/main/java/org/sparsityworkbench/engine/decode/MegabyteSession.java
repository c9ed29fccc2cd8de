package org.sparsityworkbench.engine.decode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.MegabyteModel;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import org.sparsityworkbench.engine.tokenizer.ByteTokenizer;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * One byte sequence decoded by a Megabyte model, producing the same records as {@link
 * DecodeSession} (prefill, one token per step, end), each token record with its {@link
 * Records.Patch}: the patch and byte of the position predicted next, whether the global model ran
 * in the step, each level's time, the global model's layers when it ran (routing, controller,
 * attention over patches) and the local model's attention inside the patch. The token's own {@code
 * layers} stay null: a byte has no layers of its own at the global level.
 */
public final class MegabyteSession implements TokenDecoder {
  private final MegabyteModel model;
  private final DecodeOptions options;
  private final MegabyteModel.Decoder decoder;
  private final Sampler sampler;
  private final Tokenizer.Stream text = ByteTokenizer.INSTANCE.newStream();
  private final StringBuilder generated = new StringBuilder();
  private float[] nextLogits;
  private int steps;
  private long stepNanos;
  private long firstStepStart;

  /** The interventions in force, on the global model (checked against its layers). */
  private org.sparsityworkbench.engine.intervention.Interventions interventions;

  public MegabyteSession(MegabyteModel model, DecodeOptions options) {
    this.interventions =
        org.sparsityworkbench.engine.intervention.Interventions.of(
            options.interventions(), model.spec());
    this.model = model;
    this.options = options;
    this.sampler = new Sampler(options.sampling());
    this.decoder =
        model.decoder(
            new TransformerModel.ForwardOptions(
                false,
                options.enforceCapacity(),
                options.telemetry() == TelemetryLevel.FULL,
                false,
                null));
    decoder.setInterventions(interventions);
  }

  /**
   * Checks a prompt's bytes: not empty, each a byte, and a position left in the context for the
   * byte after it.
   */
  public static void validatePrompt(int[] ids, int contextLength) {
    if (ids == null || ids.length == 0) {
      throw new IllegalArgumentException("the prompt is empty: give at least one character");
    }
    if (ids.length >= contextLength) {
      throw new IllegalArgumentException(
          "the prompt is "
              + ids.length
              + " bytes; a megabyte model with context_length "
              + contextLength
              + " takes at most "
              + (contextLength - 1));
    }
    for (int id : ids) {
      if (id < 0 || id > 255) {
        throw new IllegalArgumentException("token id " + id + " is outside the bytes 0..255");
      }
    }
  }

  /** Reads the prompt's bytes; the record's top tokens are the distribution of the next byte. */
  @Override
  public Records.Prefill prefill(int[] prompt) {
    validatePrompt(prompt, model.config().contextLength());
    long t0 = System.nanoTime();
    // Stepwise computes what the batched prefill does, except the experts' capacity (a single
    // position never exceeds it): a routed global model with capacity enforced runs at once.
    boolean stepwise =
        options.telemetry() != TelemetryLevel.OFF
            && !(options.enforceCapacity() && model.spec().routed());
    nextLogits = decoder.prefill(prompt, stepwise);
    double us = (System.nanoTime() - t0) / 1e3;
    String[] texts = new String[prompt.length];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = ByteTokenizer.INSTANCE.label(prompt[i]);
    }
    Records.Prefill record =
        new Records.Prefill(prompt.length, prompt.clone(), texts, us, top(nextLogits), null);
    if (!interventions.isEmpty()) {
      record = record.withInterventions(interventions.describe());
    }
    if (!stepwise) {
      return record;
    }
    List<Records.Patch> patches = new ArrayList<>();
    for (MegabyteModel.Step s : decoder.prefillSteps()) {
      patches.add(patchRecord(s));
    }
    return record.withPatches(patches);
  }

  /** True while the context has room for another byte and the prefill has run. */
  @Override
  public boolean canStep() {
    return nextLogits != null && decoder.canStep();
  }

  /** Samples the next byte, runs it through the model and returns its record. */
  @Override
  public Records.Token step() {
    return advance(-1);
  }

  @Override
  public Records.Token stepWith(int token) {
    if (token < 0 || token > 255) {
      throw new IllegalArgumentException("token " + token + " is outside the bytes 0..255");
    }
    return advance(token);
  }

  private Records.Token advance(int forced) {
    if (!canStep()) {
      throw new IllegalStateException(
          nextLogits == null ? "run prefill before step" : "the context is full");
    }
    long t0 = System.nanoTime();
    if (firstStepStart == 0) {
      firstStepStart = t0;
    }
    int b = forced >= 0 ? forced : sampler.sample(nextLogits);
    int position = decoder.length();
    nextLogits = decoder.step(b);
    long dt = System.nanoTime() - t0;
    stepNanos += dt;
    String piece = text.push(b);
    generated.append(piece);
    MegabyteModel.Step s = decoder.last();
    List<Records.TopToken> top = options.telemetry() == TelemetryLevel.OFF ? null : top(nextLogits);
    Records.Token record =
        new Records.Token(steps++, position, b, piece, top, dt / 1e3, null)
            .withPatch(patchRecord(s));
    return interventions.isEmpty() ? record : record.withInterventions(interventions.describe());
  }

  /** A step's patch telemetry: where it is, what ran, and the layers' records at this level. */
  private Records.Patch patchRecord(MegabyteModel.Step s) {
    TelemetryLevel level = options.telemetry();
    List<Records.TokenLayer> global = null;
    List<Records.Attention> local = null;
    if (level != TelemetryLevel.OFF && s.globalRan() && !s.globalTraces().isEmpty()) {
      global =
          DecodeSession.tokenLayers(
              s.globalTraces(),
              level == TelemetryLevel.FULL,
              model.spec().sparseBlockSize(),
              lens -> null);
    }
    if (level == TelemetryLevel.FULL && !s.localTraces().isEmpty()) {
      local = new ArrayList<>(s.localTraces().size());
      for (LayerTrace tr : s.localTraces()) {
        local.add(tr.attention == null ? null : new Records.Attention(tr.attention));
      }
    }
    return new Records.Patch(
        s.patch(),
        s.inPatch(),
        model.config().patchSize(),
        s.globalRan(),
        s.globalNanos() / 1e3,
        s.localNanos() / 1e3,
        global,
        local);
  }

  @Override
  public float[] nextLogits() {
    return nextLogits == null ? null : nextLogits.clone();
  }

  /** Steps taken. */
  @Override
  public int steps() {
    return steps;
  }

  /**
   * Puts other interventions on the global model in force from its next step on (the next patch
   * begun); the local model takes none.
   *
   * @throws IllegalArgumentException naming one that does not fit the global model; the old ones
   *     stay
   */
  @Override
  public void setInterventions(List<Intervention> list) {
    interventions = org.sparsityworkbench.engine.intervention.Interventions.of(list, model.spec());
    decoder.setInterventions(interventions);
  }

  /** The end record: the reason, the count, the rates and the text. */
  @Override
  public Records.End end(String reason) {
    double tps = stepNanos == 0 ? 0 : steps / (stepNanos / 1e9);
    long wall = firstStepStart == 0 ? 0 : System.nanoTime() - firstStepStart;
    return new Records.End(
        reason, steps, tps, wall == 0 ? 0 : steps / (wall / 1e9), generated.toString());
  }

  private List<Records.TopToken> top(float[] logits) {
    int n = options.telemetry() == TelemetryLevel.FULL ? 10 : 5;
    double[] p = Sampler.softmax(logits, 1.0);
    int[] order = Sampler.top(p, n);
    List<Records.TopToken> out = new ArrayList<>(n);
    for (int i = 0; i < n && i < order.length; i++) {
      out.add(new Records.TopToken(order[i], ByteTokenizer.INSTANCE.label(order[i]), p[order[i]]));
    }
    return out;
  }

  /**
   * Decodes a prompt: prefill, then steps until max tokens, a full context or cancellation; every
   * record to the sink, the end record last.
   */
  public static Records.End run(
      MegabyteModel model,
      String prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      BooleanSupplier cancelled) {
    return DecodeSession.run(model, prompt, options, sink, cancelled);
  }

  @Override
  public void close() {
    decoder.close();
  }
}
