package org.sparsityworkbench.engine.decode;

import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.sparsityworkbench.engine.Engines;
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

  /** A running decode. */
  public static final class Job {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<Records.End> done = new CompletableFuture<>();

    /** Asks the decode to stop between steps. */
    public void cancel() {
      cancelled.set(true);
    }

    /** Completes with the end record, or exceptionally with the failure. */
    public CompletableFuture<Records.End> done() {
      return done;
    }
  }

  /** Loads a model on the engine thread. The future fails with the loader's clear message. */
  public CompletableFuture<TransformerModel> load(Path dir) {
    return root.thenApplyAsync(
        m -> {
          try {
            return TransformerModel.load(dir, m);
          } catch (org.sparsityworkbench.engine.config.ModelFormatException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        executor);
  }

  /** Closes a model on the engine thread once the jobs queued before have finished. */
  public CompletableFuture<Void> release(TransformerModel model) {
    return CompletableFuture.runAsync(model::close, executor);
  }

  /**
   * Decodes a prompt on the engine thread; every record goes to the sink on that thread.
   *
   * @throws IllegalArgumentException at once for an empty or too long prompt
   */
  public Job decode(
      TransformerModel model, String prompt, DecodeOptions options, Consumer<Records.Record> sink) {
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    DecodeSession.validatePrompt(bytes, model.config());
    Job job = new Job();
    executor.execute(
        () -> {
          try {
            job.done.complete(DecodeSession.run(model, bytes, options, sink, job.cancelled::get));
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
      TransformerModel a,
      TransformerModel b,
      String prompt,
      DecodeOptions options,
      Consumer<Comparison.Step> sink) {
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    DecodeSession.validatePrompt(bytes, a.config());
    DecodeSession.validatePrompt(bytes, b.config());
    Job job = new Job();
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
