package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * A loaded model as the view models see it: plain data (its layers, size, configuration) and a
 * tokenizer that refuses to run once the model is released. The model itself, which owns native
 * memory, stays with the {@link WorkbenchEngine} that loaded it; the UI thread holds only this
 * handle and names the model by it.
 *
 * @param id the engine's name for the model (unique per load)
 * @param directory where it was read from
 * @param family {@code dense}, {@code switch}, ..., {@code mixtral}, {@code megabyte}
 * @param spec the layers the views show (Megabyte: its global model's)
 * @param contextLength the longest sequence, in tokens
 * @param tokenizer labels and encodes tokens; fails with a clear message after release
 * @param isNative one of the workbench's own byte-level families
 * @param transformer a transformer (not Megabyte): the per-token views, the expert effect table
 * @param configJson its configuration as JSON text
 * @param summary parameters and FLOPs
 * @param supportsInterventions whether bans, forces, heads off ... apply
 * @param supportsLogitLens whether the output can be read after every layer
 */
public record ModelHandle(
    long id,
    Path directory,
    String family,
    ModelSpec spec,
    int contextLength,
    Tokenizer tokenizer,
    boolean isNative,
    boolean transformer,
    String configJson,
    ModelSummary summary,
    boolean supportsInterventions,
    boolean supportsLogitLens) {

  /** Whether the token views can colour this model's tokens: experts or sparse FF units. */
  public boolean colours() {
    return transformer && (spec.routed() || spec.hasSparseFf());
  }
}
