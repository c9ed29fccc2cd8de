package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.sparsityworkbench.engine.decode.Comparison;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.intervention.ExpertEffects;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * {@link WorkbenchEngine} on the {@link DecodeService}: the loaded models stay here, named by their
 * handles' ids; a handle's tokenizer is guarded so that a call after release fails in Java instead
 * of reaching freed native memory.
 */
final class DjlEngine implements WorkbenchEngine {
  private final DecodeService service;
  private final Map<Long, Loaded> loaded = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  private record Loaded(LanguageModel model, GuardedTokenizer tokenizer) {}

  DjlEngine(DecodeService service) {
    this.service = service;
  }

  @Override
  public CompletableFuture<String> describe() {
    return service.describeEngine();
  }

  @Override
  public CompletableFuture<ModelHandle> load(Path dir, LoadProgress progress) {
    return service
        .load(dir, progress)
        .thenApply(
            m -> {
              long id = ids.incrementAndGet();
              GuardedTokenizer tok = new GuardedTokenizer(m.tokenizer(), dir);
              loaded.put(id, new Loaded(m, tok));
              return new ModelHandle(
                  id,
                  dir,
                  m.family(),
                  m.spec(),
                  m.contextLength(),
                  tok,
                  m.isNative(),
                  m instanceof TransformerModel,
                  m.configJson(),
                  m.summary(),
                  m.supportsInterventions(),
                  m.supportsLogitLens());
            });
  }

  private LanguageModel model(ModelHandle h) {
    Loaded l = loaded.get(h.id());
    if (l == null) {
      throw new IllegalStateException(
          "The model " + h.directory().getFileName() + " has been released: load it again");
    }
    return l.model();
  }

  @Override
  public void release(ModelHandle h) {
    Loaded l = loaded.remove(h.id());
    if (l != null) {
      // The tokenizer refuses from now (once calls in flight are out), then the model closes on the
      // engine thread after the jobs queued before it.
      l.tokenizer().refuse();
      service.release(l.model());
    }
  }

  @Override
  public DecodeService.Job decode(
      ModelHandle m,
      String prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      boolean held) {
    return service.decode(model(m), prompt, options, sink, held);
  }

  @Override
  public DecodeService.Job compare(
      ModelHandle a, ModelHandle b, String prompt, DecodeOptions options, Comparison.Sink sink) {
    return service.compare(model(a), model(b), prompt, options, sink);
  }

  @Override
  public DecodeService.Job whatIf(
      ModelHandle m,
      int[] ids,
      DecodeOptions original,
      DecodeOptions intervened,
      Comparison.Sink sink) {
    return service.whatIf(model(m), ids, original, intervened, sink);
  }

  @Override
  public CompletableFuture<List<ExpertEffects.Effect>> expertEffects(
      ModelHandle m,
      int[] ids,
      int layer,
      List<Intervention> inForce,
      IntConsumer progress,
      BooleanSupplier cancelled) {
    if (!(model(m) instanceof TransformerModel t)) {
      throw new IllegalArgumentException(
          "The effect of each expert is not built for " + m.family() + " models.");
    }
    return service.expertEffects(t, ids, layer, inForce, progress, cancelled);
  }

  @Override
  public AnalysisRunner analysis() {
    return AnalysisRunner.of(service);
  }

  /**
   * A model's tokenizer as the UI thread may hold it: each call runs under a read lock and is
   * refused once the model is released; the native tokenizer is freed under the write lock.
   */
  private static final class GuardedTokenizer implements Tokenizer {
    private final Tokenizer tokenizer;
    private final Path dir;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    GuardedTokenizer(Tokenizer tokenizer, Path dir) {
      this.tokenizer = tokenizer;
      this.dir = dir;
    }

    private <T> T guarded(Supplier<T> call) {
      lock.readLock().lock();
      try {
        if (closed) {
          throw new IllegalStateException(
              "The tokenizer of " + dir.getFileName() + " was released with its model");
        }
        return call.get();
      } finally {
        lock.readLock().unlock();
      }
    }

    /** Waits for the calls in flight, then refuses every later one. */
    void refuse() {
      lock.writeLock().lock();
      try {
        closed = true;
      } finally {
        lock.writeLock().unlock();
      }
    }

    @Override
    public int[] encode(String text) {
      return guarded(() -> tokenizer.encode(text));
    }

    @Override
    public String decode(int[] ids) {
      return guarded(() -> tokenizer.decode(ids));
    }

    @Override
    public String label(int id) {
      return guarded(() -> tokenizer.label(id));
    }

    @Override
    public int vocabularySize() {
      return tokenizer.vocabularySize();
    }

    @Override
    public String vocabularyId() {
      return tokenizer.vocabularyId();
    }

    @Override
    public Stream newStream() {
      Stream s = guarded(tokenizer::newStream);
      return id -> guarded(() -> s.push(id));
    }
  }
}
