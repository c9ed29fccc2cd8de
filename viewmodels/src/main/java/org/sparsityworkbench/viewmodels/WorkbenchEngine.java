package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.sparsityworkbench.engine.decode.Comparison;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.intervention.ExpertEffects;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * What the view models ask of the engine. They name models by {@link ModelHandle}s and get back
 * records, futures and jobs; nothing that owns native memory crosses this interface, so the view
 * models' tests run on a stand-in engine without PyTorch, and the workbench runs on {@link
 * #of(DecodeService) DJL's}.
 *
 * <p>Threading: sinks, listeners and progress run on the engine's thread; futures complete there.
 * Callers copy what they need into an {@link Inbox}.
 */
public interface WorkbenchEngine {
  /** One line describing the engine, once it has started. */
  CompletableFuture<String> describe();

  /**
   * Loads a model directory of any family; the future fails with the loader's message (naming the
   * file and field), or with a cancellation when the progress asked for one.
   */
  CompletableFuture<ModelHandle> load(Path dir, LoadProgress progress);

  /** Frees a model once the jobs queued before it have finished; its handle no longer works. */
  void release(ModelHandle model);

  /**
   * Decodes a prompt; every record goes to the sink. With {@code held} the decode holds after the
   * prefill until {@link DecodeService.Job#stepOnce} or {@link DecodeService.Job#resume}.
   *
   * @throws IllegalArgumentException at once for a prompt the model cannot take (empty, too long)
   */
  DecodeService.Job decode(
      ModelHandle model,
      String prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      boolean held);

  /**
   * Decodes the prompt with two models in lockstep (see {@link Comparison}).
   *
   * @throws IllegalArgumentException at once for models or a prompt that cannot be compared
   */
  DecodeService.Job compare(
      ModelHandle a, ModelHandle b, String prompt, DecodeOptions options, Comparison.Sink sink);

  /** Continues the ids twice in lockstep, as it was and with other options (see Comparison). */
  DecodeService.Job whatIf(
      ModelHandle model,
      int[] ids,
      DecodeOptions original,
      DecodeOptions intervened,
      Comparison.Sink sink);

  /** The effect of banning each expert of a layer alone on the token after these ids. */
  CompletableFuture<List<ExpertEffects.Effect>> expertEffects(
      ModelHandle model,
      int[] ids,
      int layer,
      List<Intervention> inForce,
      IntConsumer progress,
      BooleanSupplier cancelled);

  /** Corpus analyses, which load their own models by folder. */
  AnalysisRunner analysis();

  /** The engine on DJL and PyTorch: one engine thread, one job at a time. */
  static WorkbenchEngine of(DecodeService service) {
    return new DjlEngine(service);
  }
}
