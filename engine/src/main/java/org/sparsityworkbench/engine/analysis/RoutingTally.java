package org.sparsityworkbench.engine.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.Router;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * The counts of a corpus analysis as batches arrive: pure Java, on the thread that runs the model;
 * {@link #snapshot} copies them into an immutable {@link AnalysisResult}. Every count is of router
 * choices (the k experts of largest probability) and of controller choices (the argmax unit of
 * every block), per token.
 */
public final class RoutingTally {
  /** Example contexts kept per expert and layer (a uniform sample of its tokens). */
  static final int EXAMPLES = 6;

  /** Tokens of context before and after an example's token. */
  static final int BEFORE = 24;

  static final int AFTER = 8;

  /**
   * Windows of one domain, all of the same length, as one batch; token t of the batch is window t /
   * L at position t % L.
   *
   * @param offsets each window's first token's index among its file's tokens
   */
  public record Batch(
      int domain, int[][] windows, String[] files, int[] offsets, int[][] fileTokens) {
    public int length() {
      return windows[0].length;
    }

    public int tokens() {
      return windows.length * length();
    }

    public int id(int t) {
      return windows[t / length()][t % length()];
    }
  }

  private final LayerKind[] kinds;
  private final List<String> domains;
  private final Tokenizer tokenizer;
  private final long[] domainTokens;
  private final Map<Integer, long[]> tokenCounts = new HashMap<>(); // id -> [count]
  private final long[][][] use; // [layer][domain][expert]
  private final long[][][] pairs; // [layer][e][e'] within a token
  private final long[][][] next; // [layer][e][e' of the next layer]
  private final double[] entropy; // [layer] sum over tokens
  private final double[][] probability; // [layer][expert] sum over tokens
  private final List<Map<Integer, int[]>> tokenExperts = new ArrayList<>(); // [layer] id -> [E]
  private final long[][][] units; // [layer][domain][unit]
  private final long[][] examplesSeen; // [layer][expert]
  private final List<List<List<AnalysisResult.Example>>> examples = new ArrayList<>();
  private final long[] compared; // [layer] tokens compared with the second model
  private final double[] overlap; // [layer] sum of |A ∩ B| / k
  private final long[] identical; // [layer] tokens with the same set of experts
  private final Random random = new Random(20261202);
  private long tokens;

  public RoutingTally(LayerKind[] kinds, List<String> domains, Tokenizer tokenizer) {
    this.kinds = kinds.clone();
    this.domains = List.copyOf(domains);
    this.tokenizer = tokenizer;
    int layers = kinds.length;
    int d = domains.size();
    domainTokens = new long[d];
    use = new long[layers][][];
    pairs = new long[layers][][];
    next = new long[layers][][];
    entropy = new double[layers];
    probability = new double[layers][];
    units = new long[layers][][];
    examplesSeen = new long[layers][];
    compared = new long[layers];
    overlap = new double[layers];
    identical = new long[layers];
    for (int l = 0; l < layers; l++) {
      LayerKind k = kinds[l];
      int e = k.experts();
      use[l] = new long[d][e];
      pairs[l] = new long[e][e];
      boolean nextRouted = l + 1 < layers && kinds[l + 1].routed();
      next[l] = k.routed() && nextRouted ? new long[e][kinds[l + 1].experts()] : null;
      probability[l] = new double[e];
      units[l] = new long[d][k.units()];
      examplesSeen[l] = new long[e];
      tokenExperts.add(new HashMap<>());
      List<List<AnalysisResult.Example>> perExpert = new ArrayList<>();
      for (int x = 0; x < e; x++) {
        perExpert.add(new ArrayList<>());
      }
      examples.add(perExpert);
    }
  }

  /** Counts a batch's tokens. */
  public void addTokens(Batch batch) {
    int n = batch.tokens();
    domainTokens[batch.domain()] += n;
    tokens += n;
    for (int t = 0; t < n; t++) {
      tokenCounts.computeIfAbsent(batch.id(t), id -> new long[1])[0]++;
    }
  }

  /** Counts one layer's choices over a batch; traces in layer order (for the next-layer counts). */
  public void addLayers(Batch batch, List<LayerTrace> traces) {
    int n = batch.tokens();
    for (int l = 0; l < kinds.length; l++) {
      LayerKind kind = kinds[l];
      LayerTrace tr = traces.get(l);
      if (kind.routed()) {
        int[][] chosen = tr.routing.experts();
        checkTokens(l, chosen.length, n);
        addRouting(l, batch, chosen, tr.routerProbs);
        if (next[l] != null) {
          int[][] after = traces.get(l + 1).routing.experts();
          for (int t = 0; t < n; t++) {
            for (int x : chosen[t]) {
              for (int y : after[t]) {
                next[l][x][y]++;
              }
            }
          }
        }
      }
      if (kind.sparseFf()) {
        int[] c = tr.controllerChosen;
        int blocks = kind.blocks();
        checkTokens(l, c.length / blocks, n);
        long[] u = units[l][batch.domain()];
        for (int t = 0; t < n; t++) {
          for (int g = 0; g < blocks; g++) {
            u[g * kind.blockSize() + c[t * blocks + g]]++;
          }
        }
      }
    }
  }

  private static void checkTokens(int layer, int got, int want) {
    if (got != want) {
      throw new IllegalStateException(
          "layer " + layer + " reported " + got + " tokens for a batch of " + want);
    }
  }

  private void addRouting(int l, Batch batch, int[][] chosen, float[] probs) {
    int e = kinds[l].experts();
    long[] domainUse = use[l][batch.domain()];
    Map<Integer, int[]> byToken = tokenExperts.get(l);
    for (int t = 0; t < chosen.length; t++) {
      int[] c = chosen[t];
      int[] row = byToken.computeIfAbsent(batch.id(t), id -> new int[e]);
      for (int j = 0; j < c.length; j++) {
        int x = c[j];
        domainUse[x]++;
        row[x]++;
        for (int j2 = j + 1; j2 < c.length; j2++) {
          pairs[l][x][c[j2]]++;
          pairs[l][c[j2]][x]++;
        }
        sample(l, x, batch, t, probs[t * e + x]);
      }
      entropy[l] += Router.entropy(probs, t * e, e);
      for (int x = 0; x < e; x++) {
        probability[l][x] += probs[t * e + x];
      }
    }
  }

  /** Reservoir sampling: every token routed to an expert is equally likely to be an example. */
  private void sample(int l, int x, Batch batch, int t, float p) {
    long seen = ++examplesSeen[l][x];
    List<AnalysisResult.Example> kept = examples.get(l).get(x);
    int slot;
    if (kept.size() < EXAMPLES) {
      slot = kept.size();
    } else {
      long r = (long) (random.nextDouble() * seen);
      if (r >= EXAMPLES) {
        return;
      }
      slot = (int) r;
    }
    int w = t / batch.length();
    int[] file = batch.fileTokens()[w];
    int at = batch.offsets()[w] + t % batch.length();
    int from = Math.max(0, at - BEFORE);
    int to = Math.min(file.length, at + 1 + AFTER);
    AnalysisResult.Example ex =
        new AnalysisResult.Example(
            domains.get(batch.domain()),
            batch.files()[w],
            at,
            tokenizer.decode(java.util.Arrays.copyOfRange(file, from, at)),
            tokenizer.label(file[at]),
            tokenizer.decode(java.util.Arrays.copyOfRange(file, at + 1, to)),
            p);
    if (slot == kept.size()) {
      kept.add(ex);
    } else {
      kept.set(slot, ex);
    }
  }

  /** Compares the second model's choices with the first's, per routed layer of equal shape. */
  public void addAgreement(int layer, Router.Routing a, Router.Routing b) {
    int[][] x = a.experts();
    int[][] y = b.experts();
    for (int t = 0; t < x.length; t++) {
      int common = 0;
      for (int e : x[t]) {
        for (int f : y[t]) {
          if (e == f) {
            common++;
          }
        }
      }
      compared[layer]++;
      overlap[layer] += (double) common / x[t].length;
      if (common == x[t].length) {
        identical[layer]++;
      }
    }
  }

  long tokens() {
    return tokens;
  }

  /** An immutable copy of the counts so far. */
  public AnalysisResult snapshot(AnalysisResult.Run run) {
    return snapshot(run, true);
  }

  /**
   * An immutable copy of the counts so far; without {@code vocabulary} the per-token counts and the
   * examples are left out (a partial result during a run: with a large vocabulary and many experts
   * they are most of the tally, and copying them every few seconds would cost more than counting).
   */
  public AnalysisResult snapshot(AnalysisResult.Run run, boolean vocabulary) {
    Map<Integer, String> labels = new HashMap<>();
    for (Integer id : tokenCounts.keySet()) {
      labels.put(id, tokenizer.label(id));
    }
    Map<Integer, Long> counts = new HashMap<>();
    tokenCounts.forEach((id, c) -> counts.put(id, c[0]));
    List<Map<Integer, int[]>> byToken = new ArrayList<>();
    for (Map<Integer, int[]> m : tokenExperts) {
      Map<Integer, int[]> copy = new HashMap<>();
      if (vocabulary) {
        m.forEach((id, row) -> copy.put(id, row.clone()));
      }
      byToken.add(copy);
    }
    List<List<List<AnalysisResult.Example>>> ex = new ArrayList<>();
    for (List<List<AnalysisResult.Example>> layer : examples) {
      List<List<AnalysisResult.Example>> copy = new ArrayList<>();
      for (List<AnalysisResult.Example> e : layer) {
        List<AnalysisResult.Example> sorted = vocabulary ? new ArrayList<>(e) : new ArrayList<>();
        sorted.sort(
            java.util.Comparator.comparing(AnalysisResult.Example::domain)
                .thenComparing(AnalysisResult.Example::file)
                .thenComparingInt(AnalysisResult.Example::position));
        copy.add(List.copyOf(sorted));
      }
      ex.add(List.copyOf(copy));
    }
    return new AnalysisResult(
        run,
        kinds.clone(),
        domains,
        domainTokens.clone(),
        tokens,
        counts,
        labels,
        deep(use),
        deep(pairs),
        deep(next),
        entropy.clone(),
        deep(probability),
        byToken,
        deep(units),
        ex,
        compared.clone(),
        overlap.clone(),
        identical.clone(),
        vocabulary);
  }

  private static long[][][] deep(long[][][] a) {
    long[][][] c = new long[a.length][][];
    for (int i = 0; i < a.length; i++) {
      if (a[i] != null) {
        c[i] = new long[a[i].length][];
        for (int j = 0; j < a[i].length; j++) {
          c[i][j] = a[i][j].clone();
        }
      }
    }
    return c;
  }

  private static double[][] deep(double[][] a) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
    }
    return c;
  }
}
