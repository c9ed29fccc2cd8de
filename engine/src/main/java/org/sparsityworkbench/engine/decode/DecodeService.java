package org.sparsityworkbench.engine.decode;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * The engine's own thread. Models are loaded and decoded on it, one job at a time; callers get
 * futures and a sink of records, invoked on this thread. It never touches a user interface: a GUI
 * copies what it needs out of the sink and samples it at its own display rate.
 */
public final class DecodeService implements AutoCloseable {
  private final ExecutorService executor =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "engine");
            t.setDaemon(true);
            return t;
          });
  private final CompletableFuture<NDManager> root =
      CompletableFuture.supplyAsync(
          () -> {
            Engines.pytorch();
            return NDManager.newBaseManager();
          },
          executor);

  /**
   * A running decode; it can be paused, advanced one token at a time, resumed or cancelled. Whoever
   * runs it (this service, or a stand-in engine in tests) calls {@link #awaitTurn()} between steps,
   * applies {@link #takeInterventions()} and completes {@link #done()}.
   */
  public static final class Job {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<Records.End> done = new CompletableFuture<>();
    private final Object gate = new Object();
    private boolean paused;
    private int permits;
    private final java.util.concurrent.atomic.AtomicReference<
            java.util.List<org.sparsityworkbench.engine.intervention.Intervention>>
        interventions = new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * Puts these interventions in force from the decode's next step on (checked against the model
     * when applied: a decode given one that does not fit fails with its message).
     */
    public void setInterventions(
        java.util.List<org.sparsityworkbench.engine.intervention.Intervention> list) {
      interventions.set(java.util.List.copyOf(list));
    }

    /** Asks the decode to stop between steps. */
    public void cancel() {
      cancelled.set(true);
      synchronized (gate) {
        gate.notifyAll();
      }
    }

    /** Holds the decode before its next step. */
    public void pause() {
      synchronized (gate) {
        paused = true;
      }
    }

    /** Lets a paused decode run freely again. */
    public void resume() {
      synchronized (gate) {
        paused = false;
        gate.notifyAll();
      }
    }

    /** Lets a paused decode take one more step. */
    public void stepOnce() {
      synchronized (gate) {
        permits++;
        gate.notifyAll();
      }
    }

    /** True while held. */
    public boolean isPaused() {
      synchronized (gate) {
        return paused;
      }
    }

    /** A job that runs freely; held before its first step with {@code paused}. */
    public Job(boolean paused) {
      this.paused = paused;
    }

    /**
     * The interventions set since the last call (null: unchanged), for whoever runs the job to put
     * in force before its next step.
     */
    public java.util.List<org.sparsityworkbench.engine.intervention.Intervention>
        takeInterventions() {
      return interventions.getAndSet(null);
    }

    /** True once {@link #cancel()} was called. */
    public boolean isCancelled() {
      return cancelled.get();
    }

    /**
     * For whoever runs the job, between steps: waits while paused (one {@link #stepOnce()} lets one
     * step through); true when cancelled.
     */
    public boolean awaitTurn() {
      synchronized (gate) {
        while (paused && permits == 0 && !cancelled.get()) {
          try {
            gate.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelled.set(true);
          }
        }
        if (paused && permits > 0) {
          permits--;
        }
        return cancelled.get();
      }
    }

    /** Completes with the end record, or exceptionally with the failure. */
    public CompletableFuture<Records.End> done() {
      return done;
    }
  }

  /** Loads a model on the engine thread. The future fails with the loader's clear message. */
  public CompletableFuture<LanguageModel> load(Path dir) {
    return load(dir, org.sparsityworkbench.engine.io.LoadProgress.NONE);
  }

  /**
   * Loads a model of either kind on the engine thread, reporting progress there (a listener copies
   * what it needs; it may cancel between tensors). The future fails with the loader's message.
   */
  public CompletableFuture<LanguageModel> load(
      Path dir, org.sparsityworkbench.engine.io.LoadProgress progress) {
    return root.thenApplyAsync(
        m -> {
          try {
            return org.sparsityworkbench.engine.Models.open(dir, m, progress);
          } catch (org.sparsityworkbench.engine.config.ModelFormatException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        executor);
  }

  /** Closes a model on the engine thread once the jobs queued before have finished. */
  public CompletableFuture<Void> release(LanguageModel model) {
    return CompletableFuture.runAsync(model::close, executor);
  }

  /**
   * Decodes a prompt on the engine thread; every record goes to the sink on that thread.
   *
   * @throws IllegalArgumentException at once for an empty or too long prompt
   */
  public Job decode(
      LanguageModel model, String prompt, DecodeOptions options, Consumer<Records.Record> sink) {
    return decode(model, prompt, options, sink, false);
  }

  /**
   * As {@link #decode(LanguageModel, String, DecodeOptions, Consumer)}; with {@code paused} the
   * decode holds after the prefill until {@link Job#stepOnce} or {@link Job#resume}.
   */
  public Job decode(
      LanguageModel model,
      String prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      boolean paused) {
    int[] bytes = TokenDecoder.encodePrompt(model, prompt);
    Job job = new Job(paused);
    executor.execute(
        () -> {
          try {
            job.done.complete(
                DecodeSession.run(
                    model, bytes, options, sink, job::awaitTurn, job::takeInterventions));
          } catch (RuntimeException | Error e) {
            job.done.completeExceptionally(e);
          }
        });
    return job;
  }

  /**
   * Decodes the prompt with two models in lockstep on the engine thread (see {@link Comparison});
   * every step goes to the sink on that thread.
   */
  public Job compare(
      LanguageModel a,
      LanguageModel b,
      String prompt,
      DecodeOptions options,
      Comparison.Sink sink) {
    Comparison.validate(a, b, prompt);
    Job job = new Job(false);
    executor.execute(
        () -> {
          try {
            Comparison.run(a, b, prompt, options, sink, job.cancelled::get);
            job.done.complete(null);
          } catch (RuntimeException | Error e) {
            job.done.completeExceptionally(e);
          }
        });
    return job;
  }

  /** A running corpus analysis; cancel keeps the counts so far as its (partial) result. */
  public static final class Analysis {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<org.sparsityworkbench.engine.analysis.AnalysisResult> done =
        new CompletableFuture<>();

    /** Asks the analysis to stop after its current batch; it completes with what it counted. */
    public void cancel() {
      cancelled.set(true);
    }

    /** Completes with the result (partial when cancelled), or exceptionally with the failure. */
    public CompletableFuture<org.sparsityworkbench.engine.analysis.AnalysisResult> done() {
      return done;
    }
  }

  /**
   * Analyses a corpus on the engine thread ({@link
   * org.sparsityworkbench.engine.analysis.CorpusAnalysis}): loads the model (and the second model
   * of a saturation comparison), reads the corpus folder, runs, and closes what it loaded. The
   * listener hears the progress on the engine thread.
   */
  public Analysis analyze(
      Path model,
      Path compare,
      org.sparsityworkbench.engine.analysis.AnalysisCorpus.Source corpus,
      org.sparsityworkbench.engine.analysis.CorpusAnalysis.Options options,
      org.sparsityworkbench.engine.analysis.CorpusAnalysis.Listener listener) {
    Analysis job = new Analysis();
    root.thenAcceptAsync(
        m -> {
          try {
            var c = corpus.read();
            try (TransformerModel a = org.sparsityworkbench.engine.Models.load(model, m);
                TransformerModel b =
                    compare == null ? null : org.sparsityworkbench.engine.Models.load(compare, m)) {
              job.done.complete(
                  org.sparsityworkbench.engine.analysis.CorpusAnalysis.run(
                      a, b, c, options, listener, job.cancelled::get));
            }
          } catch (Exception | Error e) {
            job.done.completeExceptionally(e);
          }
        },
        executor);
    return job;
  }

  /**
   * The effect of banning each expert of a layer alone on one token ({@link
   * org.sparsityworkbench.engine.intervention.ExpertEffects}), on the engine thread once the jobs
   * queued before have finished.
   */
  public CompletableFuture<
          java.util.List<org.sparsityworkbench.engine.intervention.ExpertEffects.Effect>>
      expertEffects(
          TransformerModel model,
          int[] ids,
          int layer,
          java.util.List<org.sparsityworkbench.engine.intervention.Intervention> inForce,
          java.util.function.IntConsumer progress,
          java.util.function.BooleanSupplier cancelled) {
    return CompletableFuture.supplyAsync(
        () ->
            org.sparsityworkbench.engine.intervention.ExpertEffects.of(
                model, ids, layer, inForce, progress, cancelled),
        executor);
  }

  /**
   * A what-if on the engine thread: the model continues the ids twice in lockstep, as it was
   * ({@code original}) and with other options ({@code intervened}: interventions), same seed; every
   * step goes to the sink on that thread (see {@link Comparison}).
   */
  public Job whatIf(
      LanguageModel model,
      int[] ids,
      DecodeOptions original,
      DecodeOptions intervened,
      Comparison.Sink sink) {
    TokenDecoder.validatePrompt(ids, model);
    Job job = new Job(false);
    executor.execute(
        () -> {
          try {
            Comparison.run(model, original, model, intervened, ids, sink, job.cancelled::get);
            job.done.complete(null);
          } catch (RuntimeException | Error e) {
            job.done.completeExceptionally(e);
          }
        });
    return job;
  }

  /** A description of the engine, computed on the engine thread. */
  public CompletableFuture<String> describeEngine() {
    return root.thenApplyAsync(m -> Engines.describe(), executor);
  }

  @Override
  public void close() {
    executor.execute(() -> root.thenAccept(NDManager::close));
    executor.shutdown();
  }
}
