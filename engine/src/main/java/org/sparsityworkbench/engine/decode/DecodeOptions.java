package org.sparsityworkbench.engine.decode;

import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/**
 * One decode's settings.
 *
 * @param maxTokens tokens to generate (the decode also stops when the context is full)
 * @param sampling how tokens are chosen
 * @param telemetry how much each step reports
 * @param enforceCapacity apply the experts' capacity to the prefill (a single decoded token never
 *     exceeds it)
 * @param interventions changes to the model's routing and heads, from the prefill on
 * @param logitLens each token record's layers carry the next-token distribution read after them
 *     (one head product per layer per token: as costly as the head itself, times the layers)
 */
public record DecodeOptions(
    int maxTokens,
    SamplingOptions sampling,
    TelemetryLevel telemetry,
    boolean enforceCapacity,
    java.util.List<org.sparsityworkbench.engine.intervention.Intervention> interventions,
    boolean logitLens) {
  public DecodeOptions(
      int maxTokens, SamplingOptions sampling, TelemetryLevel telemetry, boolean enforceCapacity) {
    this(maxTokens, sampling, telemetry, enforceCapacity, java.util.List.of(), false);
  }

  /** These options with interventions (checked against the model when the decode starts). */
  public DecodeOptions with(
      java.util.List<org.sparsityworkbench.engine.intervention.Intervention> list) {
    return new DecodeOptions(maxTokens, sampling, telemetry, enforceCapacity, list, logitLens);
  }

  /** These options with the logit lens on every token record (not with telemetry off). */
  public DecodeOptions withLogitLens(boolean on) {
    return new DecodeOptions(maxTokens, sampling, telemetry, enforceCapacity, interventions, on);
  }

  public DecodeOptions {
    interventions =
        interventions == null ? java.util.List.of() : java.util.List.copyOf(interventions);
    if (maxTokens < 0 || maxTokens > 1_000_000) {
      throw new IllegalArgumentException("max-tokens = " + maxTokens + ": must be in 0..1000000");
    }
    if (sampling == null || telemetry == null) {
      throw new IllegalArgumentException("sampling and telemetry are required");
    }
  }

  /**
   * The record of what a decode with these options runs, for the head of its telemetry.
   *
   * @param attentionWindow null, or how many of the last token records keep their attention
   */
  public org.sparsityworkbench.engine.telemetry.Records.Session session(
      String model, String family, String prompt, Integer attentionWindow) {
    return new org.sparsityworkbench.engine.telemetry.Records.Session(
        model,
        family,
        prompt,
        maxTokens,
        sampling.temperature(),
        sampling.topK(),
        sampling.topP(),
        sampling.seed(),
        telemetry.name().toLowerCase(java.util.Locale.ROOT),
        enforceCapacity,
        attentionWindow);
  }
}
