package org.sparsityworkbench.engine.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.TransformerModel;

/**
 * Runs a corpus through a model and counts what its routers and controllers choose ({@link
 * RoutingTally}): batched prefills of windows from position 0, no sampling, no telemetry records.
 * Runs on the calling thread (the engine's); cancellable between batches, when the partial result
 * says how much it covers.
 *
 * <p>The budget is shared evenly among the domains (a domain with less text gives its remainder to
 * the others), so that every domain is counted on a comparable number of tokens, and the batches
 * alternate between domains, so that a cancelled run still covers each of them. Every file is
 * tokenized whole (with the tokenizer's special tokens) and cut into windows of {@code window}
 * tokens; windows do not cross files.
 */
public final class CorpusAnalysis {
  private CorpusAnalysis() {}

  /**
   * @param tokens the token budget (all domains together)
   * @param window tokens per window; 0 for min(context, 256)
   * @param batch windows per forward pass; 0 for as many as make about 2,048 tokens
   */
  public record Options(long tokens, int window, int batch) {
    public Options {
      if (tokens < 1) {
        throw new IllegalArgumentException("the token budget must be at least 1, got " + tokens);
      }
      if (window < 0 || batch < 0) {
        throw new IllegalArgumentException(
            "window and batch must be positive (or 0 for the default), got "
                + window
                + " and "
                + batch);
      }
    }
  }

  /** Hears how a run goes, on the thread that runs it. */
  public interface Listener {
    /** After every batch. */
    void progress(long done, long planned, double seconds);

    /** About every {@link #PARTIAL_SECONDS}: the counts so far. */
    default void partial(AnalysisResult soFar) {}
  }

  /** Seconds between partial results. */
  public static final double PARTIAL_SECONDS = 2;

  /**
   * Analyses a corpus.
   *
   * @param compare a second model for router saturation (same tokenizer; its routed layers with the
   *     same expert count as the first's are compared), or null
   * @throws IllegalArgumentException naming the model, when it has nothing to count or the second
   *     model does not fit
   * @throws IOException naming a file that cannot be read
   */
  public static AnalysisResult run(
      TransformerModel model,
      TransformerModel compare,
      AnalysisCorpus corpus,
      Options options,
      Listener listener,
      BooleanSupplier cancelled)
      throws IOException {
    String name = name(model);
    LayerKind[] kinds = LayerKind.of(model.spec());
    boolean any = false;
    for (LayerKind k : kinds) {
      any |= k.routed() || k.sparseFf();
    }
    if (!any) {
      throw new IllegalArgumentException(
          name
              + " ("
              + model.spec().family()
              + ") has no routed or sparse feed-forward layer: there are no choices to count");
    }
    int context = model.spec().contextLength();
    List<int[]> comparable = new ArrayList<>();
    if (compare != null) {
      if (!compare.tokenizer().vocabularyId().equals(model.tokenizer().vocabularyId())) {
        throw new IllegalArgumentException(
            name(compare)
                + " reads text with another vocabulary than "
                + name
                + ": their routing of the same tokens cannot be compared");
      }
      context = Math.min(context, compare.spec().contextLength());
      LayerKind[] other = LayerKind.of(compare.spec());
      for (int l = 0; l < Math.min(kinds.length, other.length); l++) {
        if (kinds[l].routed()
            && kinds[l].experts() == other[l].experts()
            && kinds[l].topK() == other[l].topK()) {
          comparable.add(new int[] {l});
        }
      }
      if (comparable.isEmpty()) {
        throw new IllegalArgumentException(
            name(compare)
                + " has no routed layer with the expert count and k of "
                + name
                + "'s at the same depth: router saturation compares those");
      }
    }
    int window = options.window() == 0 ? Math.min(context, 256) : options.window();
    if (window > context) {
      throw new IllegalArgumentException(
          "a window of " + window + " tokens exceeds the context_length " + context);
    }
    int batch = options.batch() == 0 ? Math.max(1, 2048 / window) : options.batch();
    List<List<RoutingTally.Batch>> perDomain =
        batches(model, corpus, options.tokens(), window, batch);
    long planned = 0;
    for (List<RoutingTally.Batch> d : perDomain) {
      for (RoutingTally.Batch b : d) {
        planned += b.tokens();
      }
    }
    RoutingTally tally = new RoutingTally(kinds, corpus.names(), model.tokenizer());
    long t0 = System.nanoTime();
    long lastPartial = t0;
    boolean complete = true;
    var opt = new TransformerModel.ForwardOptions(false, false, false, false, null);
    int round = 0;
    boolean more = true;
    while (more) {
      more = false;
      for (List<RoutingTally.Batch> d : perDomain) {
        if (round >= d.size()) {
          continue;
        }
        more = true;
        if (cancelled.getAsBoolean()) {
          complete = false;
          break;
        }
        RoutingTally.Batch b = d.get(round);
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          List<LayerTrace> traces = forward(model, b, opt);
          tally.addTokens(b);
          tally.addLayers(b, traces);
          if (compare != null) {
            List<LayerTrace> other = forward(compare, b, opt);
            for (int[] l : comparable) {
              tally.addAgreement(l[0], traces.get(l[0]).routing, other.get(l[0]).routing);
            }
          }
        }
        long now = System.nanoTime();
        listener.progress(tally.tokens(), planned, (now - t0) / 1e9);
        if ((now - lastPartial) / 1e9 >= PARTIAL_SECONDS) {
          lastPartial = now;
          listener.partial(
              tally.snapshot(run(model, compare, planned, window, batch, t0, false), false));
        }
      }
      if (!complete) {
        break;
      }
      round++;
    }
    return tally.snapshot(run(model, compare, planned, window, batch, t0, complete));
  }

  private static AnalysisResult.Run run(
      TransformerModel model,
      TransformerModel compare,
      long planned,
      int window,
      int batch,
      long t0,
      boolean complete) {
    return new AnalysisResult.Run(
        name(model),
        model.spec().family(),
        compare == null ? null : name(compare),
        planned,
        window,
        batch,
        (System.nanoTime() - t0) / 1e9,
        complete);
  }

  private static List<LayerTrace> forward(
      TransformerModel model, RoutingTally.Batch b, TransformerModel.ForwardOptions opt) {
    int rows = b.windows().length;
    int len = b.length();
    long[] ids = new long[rows * len];
    for (int w = 0; w < rows; w++) {
      for (int p = 0; p < len; p++) {
        ids[w * len + p] = b.windows()[w][p];
      }
    }
    NDArray tokens = model.manager().create(ids, new Shape(rows, len));
    return model.choices(tokens, opt);
  }

  /**
   * The model's name as the user knows it: its folder, or its family for a model made in memory.
   */
  static String name(TransformerModel model) {
    Path dir = model.directory();
    return dir == null || dir.getFileName() == null
        ? model.spec().family()
        : dir.getFileName().toString();
  }

  /** Every domain's windows as batches, within the budget shared evenly among the domains. */
  static List<List<RoutingTally.Batch>> batches(
      TransformerModel model, AnalysisCorpus corpus, long budget, int window, int batch)
      throws IOException {
    List<AnalysisCorpus.Domain> domains = corpus.domains();
    List<List<Path>> files = new ArrayList<>();
    List<List<int[]>> ids = new ArrayList<>();
    long[] available = new long[domains.size()];
    int vocab = model.spec().vocabSize();
    for (int d = 0; d < domains.size(); d++) {
      List<Path> f = new ArrayList<>();
      List<int[]> t = new ArrayList<>();
      for (Path p : domains.get(d).files()) {
        byte[] bytes;
        try {
          bytes = Files.readAllBytes(p);
        } catch (IOException e) {
          throw new IOException(p + ": cannot be read (" + e.getMessage() + ")", e);
        }
        if (bytes.length == 0) {
          continue;
        }
        int[] tokens = model.tokenizer().encode(new String(bytes, StandardCharsets.UTF_8));
        for (int id : tokens) {
          if (id < 0 || id >= vocab) {
            throw new IllegalStateException(
                p
                    + ": the tokenizer gave id "
                    + id
                    + " outside the model's vocabulary 0.."
                    + (vocab - 1));
          }
        }
        f.add(p);
        t.add(tokens);
        available[d] += tokens.length;
      }
      files.add(f);
      ids.add(t);
    }
    long[] quota = quotas(available, budget);
    List<List<RoutingTally.Batch>> out = new ArrayList<>();
    for (int d = 0; d < domains.size(); d++) {
      List<int[]> full = new ArrayList<>();
      List<String> fullFiles = new ArrayList<>();
      List<Integer> fullOffsets = new ArrayList<>();
      List<int[]> fullSource = new ArrayList<>();
      List<RoutingTally.Batch> list = new ArrayList<>();
      long left = quota[d];
      for (int i = 0; i < files.get(d).size() && left > 0; i++) {
        int[] t = ids.get(d).get(i);
        String file = files.get(d).get(i).getFileName().toString();
        for (int off = 0; off < t.length && left > 0; off += window) {
          int len = (int) Math.min(Math.min(window, t.length - off), left);
          left -= len;
          int[] w = java.util.Arrays.copyOfRange(t, off, off + len);
          if (len == window) {
            full.add(w);
            fullFiles.add(file);
            fullOffsets.add(off);
            fullSource.add(t);
            if (full.size() == batch) {
              list.add(batch(d, full, fullFiles, fullOffsets, fullSource));
              full.clear();
              fullFiles.clear();
              fullOffsets.clear();
              fullSource.clear();
            }
          } else {
            list.add(batch(d, List.of(w), List.of(file), List.of(off), List.<int[]>of(t)));
          }
        }
      }
      if (!full.isEmpty()) {
        list.add(batch(d, full, fullFiles, fullOffsets, fullSource));
      }
      out.add(list);
    }
    return out;
  }

  private static RoutingTally.Batch batch(
      int d, List<int[]> windows, List<String> files, List<Integer> offsets, List<int[]> source) {
    return new RoutingTally.Batch(
        d,
        windows.toArray(new int[0][]),
        files.toArray(new String[0]),
        offsets.stream().mapToInt(Integer::intValue).toArray(),
        source.toArray(new int[0][]));
  }

  /**
   * The budget shared evenly among domains: each gets min(its tokens, an equal part of what is
   * left), smallest first, so that what a small domain cannot use goes to the others.
   */
  static long[] quotas(long[] available, long budget) {
    int n = available.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingLong(i -> available[i]));
    long[] quota = new long[n];
    long left = budget;
    for (int j = 0; j < n; j++) {
      int d = order[j];
      long share = (left + (n - j) - 1) / (n - j); // ceiling, so that the budget is spent
      quota[d] = Math.min(available[d], share);
      left -= quota[d];
    }
    return quota;
  }
}
