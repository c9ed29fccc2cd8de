package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.CorpusAnalysis;
import org.sparsityworkbench.engine.decode.DecodeService;

/**
 * How the Analyse view model reaches the engine: it names folders and gets back an immutable
 * result, so no object that owns native memory reaches the UI thread, and its tests run with a
 * runner of their own, without PyTorch.
 */
public interface AnalysisRunner {
  /** A running analysis. */
  interface Job {
    /** Stops after the current batch; {@link #done} then completes with the partial result. */
    void cancel();

    CompletableFuture<AnalysisResult> done();
  }

  /**
   * Starts an analysis of the corpus folder with the model folder (and a second model for router
   * saturation, or null); the listener hears it on the thread that runs it.
   */
  Job start(
      Path model,
      Path compare,
      org.sparsityworkbench.engine.analysis.AnalysisCorpus.Source corpus,
      CorpusAnalysis.Options options,
      CorpusAnalysis.Listener listener);

  /** The engine's: on its thread, loading the models for the run and closing them after. */
  static AnalysisRunner of(DecodeService service) {
    return (model, compare, corpus, options, listener) -> {
      DecodeService.Analysis a = service.analyze(model, compare, corpus, options, listener);
      return new Job() {
        @Override
        public void cancel() {
          a.cancel();
        }

        @Override
        public CompletableFuture<AnalysisResult> done() {
          return a.done();
        }
      };
    };
  }
}
