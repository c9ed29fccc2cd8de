package org.sparsityworkbench.viewmodels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.decode.Comparison;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.intervention.ExpertEffects;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.NativeFamilies;
import org.sparsityworkbench.engine.spec.ModelSpec;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.tokenizer.ByteTokenizer;

/**
 * A stand-in engine with no PyTorch: it reads a native model's config.json (no weights) and
 * "decodes" by a rule that the tests can predict. The text repeats {@link #TEXT}; in layer l the
 * byte b goes to expert (b + l) mod E, or to the next expert not banned, or to the forced one;
 * every head attends evenly to every position so far. Decodes run on their own thread and honour
 * pause, step, cancel and interventions set while running, as the real engine's jobs do.
 */
final class ScriptedEngine implements WorkbenchEngine {
  static final String TEXT = "the cat sat on the mat. ";

  private final AtomicLong ids = new AtomicLong();
  final List<Long> released = new CopyOnWriteArrayList<>();
  final List<String> prompts = new CopyOnWriteArrayList<>();

  /** The options of the last decode started. */
  volatile DecodeOptions lastOptions;

  @Override
  public CompletableFuture<String> describe() {
    return CompletableFuture.completedFuture("scripted engine (no PyTorch)");
  }

  @Override
  public CompletableFuture<ModelHandle> load(Path dir, LoadProgress progress) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Path file = dir.resolve("config.json");
            ModelConfig c = ModelConfig.read(file);
            progress.update(1, 1, 1, 1);
            ModelSpec spec = NativeFamilies.spec(c);
            return new ModelHandle(
                ids.incrementAndGet(),
                dir,
                c.family().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                spec,
                c.contextLength(),
                ByteTokenizer.INSTANCE,
                true,
                true,
                Files.readString(file),
                ModelSummary.of(c),
                true,
                true);
          } catch (ModelFormatException | IOException e) {
            throw new CompletionException(e);
          }
        });
  }

  @Override
  public void release(ModelHandle model) {
    released.add(model.id());
  }

  /** Layer l's expert for byte b under these interventions. */
  static int expert(int b, int layer, int experts, Set<Integer> banned, Integer forced) {
    if (forced != null) {
      return forced;
    }
    int e = Math.floorMod(b + layer, experts);
    while (banned.contains(e)) {
      e = (e + 1) % experts;
    }
    return e;
  }

  @Override
  public DecodeService.Job decode(
      ModelHandle m,
      String prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      boolean held) {
    int[] promptIds = m.tokenizer().encode(prompt);
    if (promptIds.length == 0 || promptIds.length >= m.contextLength()) {
      throw new IllegalArgumentException(
          "prompt of " + promptIds.length + " bytes: 1.." + (m.contextLength() - 1) + " fit");
    }
    prompts.add(prompt);
    lastOptions = options;
    DecodeService.Job job = new DecodeService.Job(held);
    Thread t =
        new Thread(
            () -> {
              try {
                job.done().complete(run(m, promptIds, options, sink, job));
              } catch (RuntimeException | Error e) {
                job.done().completeExceptionally(e);
              }
            },
            "scripted-engine");
    t.setDaemon(true);
    t.start();
    return job;
  }

  private static Records.End run(
      ModelHandle m,
      int[] prompt,
      DecodeOptions options,
      Consumer<Records.Record> sink,
      DecodeService.Job job) {
    ModelSpec spec = m.spec();
    int layers = spec.layers();
    int experts = Math.max(1, spec.maxExperts());
    boolean routed = spec.routed();
    List<Records.PrefillLayer> pl = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      int[][] chosen = new int[prompt.length][];
      for (int i = 0; i < prompt.length; i++) {
        chosen[i] = new int[] {expert(prompt[i], l, experts, Set.of(), null)};
      }
      pl.add(
          new Records.PrefillLayer(
              l,
              routed
                  ? new Records.PrefillRouter(null, chosen, null, new int[experts], -1, 0, 0, 1, 1)
                  : null,
              null));
    }
    sink.accept(new Records.Prefill(prompt.length, prompt, null, 100, List.of(), pl));
    Set<Integer> banned = new HashSet<>();
    Integer forced = null;
    List<String> inForce = List.of();
    StringBuilder text = new StringBuilder();
    int generated = 0;
    String reason = "max_tokens";
    for (int step = 0; step < options.maxTokens(); step++) {
      if (job.awaitTurn()) {
        reason = "cancelled";
        break;
      }
      List<Intervention> set = job.takeInterventions();
      if (set != null) {
        banned.clear();
        forced = null;
        List<String> names = new ArrayList<>();
        for (Intervention i : set) {
          names.add(i.describe());
          String[] kv = i.describe().split(" ", 2);
          int x = Integer.parseInt(kv[1].substring(kv[1].indexOf(':') + 1));
          if (kv[0].equals("ban")) {
            banned.add(x);
          } else if (kv[0].equals("force")) {
            forced = x;
          }
        }
        inForce = List.copyOf(names);
      }
      int position = prompt.length + step;
      if (position >= m.contextLength()) {
        reason = "context_full";
        break;
      }
      int b = TEXT.charAt(step % TEXT.length());
      List<Records.TokenLayer> tl = new ArrayList<>();
      for (int l = 0; l < layers; l++) {
        float[][] heads = new float[spec.block(l).attention().heads()][position + 1];
        for (float[] h : heads) {
          java.util.Arrays.fill(h, 1f / (position + 1));
        }
        int e = expert(b, l, experts, banned, forced);
        tl.add(
            new Records.TokenLayer(
                l,
                new Records.Attention(heads),
                routed ? new Records.TokenRouter(null, new int[] {e}, new float[] {1f}, 0.5) : null,
                null,
                null,
                new Records.Timing(10, routed ? 1.0 : null, 20, null)));
      }
      String s = String.valueOf((char) b);
      text.append(s);
      sink.accept(
          new Records.Token(
                  step, position, b, s, List.of(new Records.TopToken(b, s, 0.9)), 100 + step, tl)
              .withInterventions(inForce));
      generated++;
    }
    Records.End end = new Records.End(reason, generated, 1000, 900, text.toString());
    sink.accept(end);
    return end;
  }

  @Override
  public DecodeService.Job compare(
      ModelHandle a, ModelHandle b, String prompt, DecodeOptions options, Comparison.Sink sink) {
    throw new UnsupportedOperationException("the scripted engine does not compare");
  }

  @Override
  public DecodeService.Job whatIf(
      ModelHandle model,
      int[] ids,
      DecodeOptions original,
      DecodeOptions intervened,
      Comparison.Sink sink) {
    throw new UnsupportedOperationException("the scripted engine does not fork");
  }

  @Override
  public CompletableFuture<List<ExpertEffects.Effect>> expertEffects(
      ModelHandle model,
      int[] ids,
      int layer,
      List<Intervention> inForce,
      IntConsumer progress,
      BooleanSupplier cancelled) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException("the scripted engine has no effects"));
  }

  @Override
  public AnalysisRunner analysis() {
    return (model, compare, corpus, options, listener) -> {
      throw new UnsupportedOperationException("the scripted engine does not analyse");
    };
  }
}
