package org.sparsityworkbench.engine.model;

import java.nio.file.Path;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * A loaded model as the decode, the comparison and the views see it, whatever its family: a
 * transformer (native or imported) or Megabyte. Owns native memory: close it on the engine thread.
 */
public sealed interface LanguageModel extends AutoCloseable
    permits TransformerModel, MegabyteModel {
  /** The family's name ({@code dense}, {@code switch}, ..., {@code mixtral}, {@code megabyte}). */
  String family();

  /**
   * The layers whose telemetry the views show: the model's own, or Megabyte's global model (whose
   * context is counted in patches).
   */
  ModelSpec spec();

  /** The longest sequence, in tokens (bytes for the byte-level families). */
  int contextLength();

  /** The tokenizer (bytes for the native families). */
  Tokenizer tokenizer();

  /** True for the workbench's own families (byte-level, {@code config.json} with a family). */
  boolean isNative();

  /** The configuration as JSON text, for display. */
  String configJson();

  /** The directory it was read from, or null. */
  Path directory();

  /** Parameters and FLOPs. */
  ModelSummary summary();

  /** Whether interventions (ban or force an expert, heads off, ...) apply to this model. */
  default boolean supportsInterventions() {
    return true;
  }

  /** Whether the logit lens (the output read after every layer) applies to this model. */
  default boolean supportsLogitLens() {
    return true;
  }

  @Override
  void close();
}
