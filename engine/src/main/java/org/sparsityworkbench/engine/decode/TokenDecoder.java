package org.sparsityworkbench.engine.decode;

import java.util.List;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.model.MegabyteModel;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * One sequence being decoded by a model of any family: the prompt's prefill, then one token per
 * step, each returning its telemetry record. Confined to the engine thread that opened it.
 */
public sealed interface TokenDecoder extends AutoCloseable permits DecodeSession, MegabyteSession {
  /** Opens a decoder of the model's family. */
  static TokenDecoder open(LanguageModel model, DecodeOptions options) {
    return switch (model) {
      case TransformerModel t -> new DecodeSession(t, options);
      case MegabyteModel m -> new MegabyteSession(m, options);
    };
  }

  /** The prompt's token ids, checked before anything is computed: not empty, fits the context. */
  static int[] encodePrompt(LanguageModel model, String prompt) {
    if (prompt == null || prompt.isEmpty()) {
      throw new IllegalArgumentException("the prompt is empty: give at least one character");
    }
    int[] ids = model.tokenizer().encode(prompt);
    validatePrompt(ids, model);
    return ids;
  }

  /**
   * Checks prompt ids against a model: not empty, each in the vocabulary, and room in the context
   * (Megabyte predicts the byte after the prompt inside its context, so it needs one position
   * more).
   */
  static void validatePrompt(int[] ids, LanguageModel model) {
    switch (model) {
      case TransformerModel t -> DecodeSession.validatePrompt(ids, t.spec());
      case MegabyteModel m -> MegabyteSession.validatePrompt(ids, m.config().contextLength());
    }
  }

  /** Runs the prompt's ids through the model and returns the prefill record. */
  Records.Prefill prefill(int[] prompt);

  /** True while the context has room for another token and the prefill has run. */
  boolean canStep();

  /** Samples the next token, processes it and returns its record. */
  Records.Token step();

  /** Processes a given token instead of sampling one (teacher forcing: another model's choice). */
  Records.Token stepWith(int token);

  /** The latest next-token logits (a copy), or null before the prefill. */
  float[] nextLogits();

  /** Tokens generated so far. */
  int steps();

  /** The end record: the reason, the count, the rates and the text. */
  Records.End end(String reason);

  /**
   * Puts other interventions in force from the next step on.
   *
   * @throws IllegalArgumentException naming one that does not fit the model
   */
  void setInterventions(List<Intervention> list);

  @Override
  void close();
}
