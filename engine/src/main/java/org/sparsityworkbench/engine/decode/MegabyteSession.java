package org.sparsityworkbench.engine.decode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
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
 * in the step, and each level's time. Per-layer telemetry (the global model's routing and
 * attention) is not recorded yet: {@code layers} is null.
 */
public final class MegabyteSession implements AutoCloseable {
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

  public MegabyteSession(MegabyteModel model, DecodeOptions options) {
    if (!options.interventions().isEmpty()) {
      throw new IllegalArgumentException("interventions are not supported for megabyte yet");
    }
    this.model = model;
    this.options = options;
    this.sampler = new Sampler(options.sampling());
    this.decoder = model.decoder(TransformerModel.ForwardOptions.inference(false));
  }

  /** Reads the prompt's bytes; the record's top tokens are the distribution of the next byte. */
  public Records.Prefill prefill(int[] prompt) {
    if (prompt.length >= model.config().contextLength()) {
      throw new IllegalArgumentException(
          "the prompt is "
              + prompt.length
              + " bytes; context_length is "
              + model.config().contextLength());
    }
    long t0 = System.nanoTime();
    nextLogits = decoder.prefill(prompt);
    double us = (System.nanoTime() - t0) / 1e3;
    String[] texts = new String[prompt.length];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = ByteTokenizer.INSTANCE.label(prompt[i]);
    }
    return new Records.Prefill(prompt.length, prompt.clone(), texts, us, top(nextLogits), null);
  }

  /** True while the context has room for another byte and the prefill has run. */
  public boolean canStep() {
    return nextLogits != null && decoder.canStep();
  }

  /** Samples the next byte, runs it through the model and returns its record. */
  public Records.Token step() {
    if (!canStep()) {
      throw new IllegalStateException(
          nextLogits == null ? "run prefill before step" : "the context is full");
    }
    long t0 = System.nanoTime();
    if (firstStepStart == 0) {
      firstStepStart = t0;
    }
    int b = sampler.sample(nextLogits);
    int position = decoder.length();
    nextLogits = decoder.step(b);
    long dt = System.nanoTime() - t0;
    stepNanos += dt;
    String piece = text.push(b);
    generated.append(piece);
    MegabyteModel.Step s = decoder.last();
    List<Records.TopToken> top = options.telemetry() == TelemetryLevel.OFF ? null : top(nextLogits);
    return new Records.Token(steps++, position, b, piece, top, dt / 1e3, null)
        .withPatch(
            new Records.Patch(
                s.patch(),
                s.inPatch(),
                s.globalRan(),
                s.globalNanos() / 1e3,
                s.localNanos() / 1e3));
  }

  /** Steps taken. */
  public int steps() {
    return steps;
  }

  /** The end record: the reason, the count, the rates and the text. */
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
    try (MegabyteSession s = new MegabyteSession(model, options)) {
      sink.accept(s.prefill(ByteTokenizer.INSTANCE.encode(prompt)));
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
        sink.accept(s.step());
      }
      Records.End end = s.end(reason);
      sink.accept(end);
      return end;
    }
  }

  @Override
  public void close() {
    decoder.close();
  }
}
