package org.sparsityworkbench.engine.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a corpus analysis found, immutable (a copy of the counts at one moment: a finished run, or a
 * cancelled one's partial result, which says how much it covers). Counts are of router choices
 * before any capacity limit: an analysis routes as a decode does, one token at a time, where no
 * capacity applies.
 *
 * <p>Shares: {@code share(l, d, e)} = assignments of domain d's tokens to expert e in layer l /
 * (tokens of d x k), so that a layer's shares sum to 1 in every domain and the uniform share is 1 /
 * E.
 */
public final class AnalysisResult {
  /**
   * How the result was made.
   *
   * @param model the analysed model's name (its folder)
   * @param family its family
   * @param compareModel the second model of a saturation comparison, or null
   * @param planned tokens the corpus and budget allowed
   * @param window tokens per window (each window a prefill from position 0)
   * @param batch windows per forward pass
   * @param seconds wall time so far
   * @param complete false when cancelled (or still running): the counts cover {@link #tokens()}
   */
  public record Run(
      String model,
      String family,
      String compareModel,
      long planned,
      int window,
      int batch,
      double seconds,
      boolean complete) {}

  /**
   * A token routed to an expert, in its context.
   *
   * @param position the token's index among its file's tokens
   * @param before the text of up to {@link RoutingTally#BEFORE} tokens before it
   * @param token the token's label
   * @param after the text of up to {@link RoutingTally#AFTER} tokens after it
   * @param probability the router's probability of the expert for this token
   */
  public record Example(
      String domain,
      String file,
      int position,
      String before,
      String token,
      String after,
      float probability) {}

  /** A token and how often it went to an expert. */
  public record TokenShare(int id, String label, long count, double exclusivity) {}

  /** An expert and the share of a token's occurrences that chose it. */
  public record ExpertShare(int expert, long count, double share) {}

  /** A frequent token and the experts its occurrences chose, most chosen first. */
  public record TokenRouting(int id, String label, long count, List<ExpertShare> experts) {}

  /** Router saturation against a second model in one layer. */
  public record Saturation(long tokens, double meanOverlap, double identicalShare) {}

  private final Run run;
  private final LayerKind[] kinds;
  private final List<String> domains;
  private final long[] domainTokens;
  private final long tokens;
  private final Map<Integer, Long> tokenCounts;
  private final Map<Integer, String> labels;
  private final long[][][] use;
  private final long[][][] pairs;
  private final long[][][] next;
  private final double[] entropy;
  private final double[][] probability;
  private final List<Map<Integer, int[]>> tokenExperts;
  private final boolean vocabulary;
  private final long[][][] units;
  private final List<List<List<Example>>> examples;
  private final long[] compared;
  private final double[] overlap;
  private final long[] identical;

  AnalysisResult(
      Run run,
      LayerKind[] kinds,
      List<String> domains,
      long[] domainTokens,
      long tokens,
      Map<Integer, Long> tokenCounts,
      Map<Integer, String> labels,
      long[][][] use,
      long[][][] pairs,
      long[][][] next,
      double[] entropy,
      double[][] probability,
      List<Map<Integer, int[]>> tokenExperts,
      long[][][] units,
      List<List<List<Example>>> examples,
      long[] compared,
      double[] overlap,
      long[] identical,
      boolean vocabulary) {
    this.run = run;
    this.vocabulary = vocabulary;
    this.kinds = kinds;
    this.domains = List.copyOf(domains);
    this.domainTokens = domainTokens;
    this.tokens = tokens;
    this.tokenCounts = Map.copyOf(tokenCounts);
    this.labels = Map.copyOf(labels);
    this.use = use;
    this.pairs = pairs;
    this.next = next;
    this.entropy = entropy;
    this.probability = probability;
    this.tokenExperts = List.copyOf(tokenExperts);
    this.units = units;
    this.examples = List.copyOf(examples);
    this.compared = compared;
    this.overlap = overlap;
    this.identical = identical;
  }

  public Run run() {
    return run;
  }

  /**
   * False for a partial result taken during a run, which leaves out the per-token counts and the
   * examples ({@link #topTokens}, {@link #tokenRouting} and {@link #examples} are then empty).
   */
  public boolean hasVocabulary() {
    return vocabulary;
  }

  /** Every layer of the model, routed or not. */
  public List<LayerKind> layers() {
    return List.of(kinds);
  }

  /** The layers that route (mixture of experts). */
  public List<LayerKind> routedLayers() {
    return layers().stream().filter(LayerKind::routed).toList();
  }

  /** The layers with a sparse feed-forward. */
  public List<LayerKind> sparseFfLayers() {
    return layers().stream().filter(LayerKind::sparseFf).toList();
  }

  public List<String> domains() {
    return domains;
  }

  /** Tokens analysed per domain. */
  public long domainTokens(int domain) {
    return domainTokens[domain];
  }

  /** Tokens analysed. */
  public long tokens() {
    return tokens;
  }

  /** Share of the planned tokens that were analysed (1 for a complete run). */
  public double coverage() {
    return run.planned() == 0 ? 1 : (double) tokens / run.planned();
  }

  /** Assignments of domain d's tokens to expert e in layer l. */
  public long use(int layer, int domain, int expert) {
    return use[layer][domain][expert];
  }

  /** Assignments to expert e in layer l over every domain. */
  public long use(int layer, int expert) {
    long s = 0;
    for (long[] d : use[layer]) {
      s += d[expert];
    }
    return s;
  }

  /** use(l, d, e) / (tokens of d x k): NaN for a domain with no tokens yet. */
  public double share(int layer, int domain, int expert) {
    long n = domainTokens[domain] * kinds[layer].topK();
    return n == 0 ? Double.NaN : (double) use[layer][domain][expert] / n;
  }

  /** The share of expert e over the whole corpus; NaN before any token. */
  public double share(int layer, int expert) {
    long n = tokens * kinds[layer].topK();
    return n == 0 ? Double.NaN : (double) use(layer, expert) / n;
  }

  /** Tokens that chose both e and e2 in layer l (e != e2; top-k layers only, else 0). */
  public long together(int layer, int e, int e2) {
    return pairs[layer][e][e2];
  }

  /**
   * Tokens that chose e in layer l and e2 in layer l + 1 (every choice pair of the token); null
   * when layer l or l + 1 does not route.
   */
  public long[][] nextLayer(int layer) {
    if (next[layer] == null) {
      return null;
    }
    long[][] c = new long[next[layer].length][];
    for (int i = 0; i < c.length; i++) {
      c[i] = next[layer][i].clone();
    }
    return c;
  }

  /** Mean over tokens of the router distribution's entropy, in nats (at most ln E). */
  public double meanEntropy(int layer) {
    return tokens == 0 ? Double.NaN : entropy[layer] / tokens;
  }

  /**
   * Entropy of the corpus-wide load (the shares of the experts) divided by ln E: 1 when every
   * expert gets the same share, 0 when one gets everything; NaN before any token or for E = 1.
   */
  public double loadEntropy(int layer) {
    int e = kinds[layer].experts();
    if (tokens == 0 || e < 2) {
      return Double.NaN;
    }
    double h = 0;
    for (int x = 0; x < e; x++) {
      double p = share(layer, x);
      if (p > 0) {
        h -= p * Math.log(p);
      }
    }
    return h / Math.log(e);
  }

  /**
   * Switch's load-balancing loss over the corpus, E x sum_e f_e P_e (f_e the share of assignments,
   * P_e the mean router probability): 1 when balanced, up to E when one expert takes everything.
   */
  public double loadBalance(int layer) {
    int e = kinds[layer].experts();
    if (tokens == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (int x = 0; x < e; x++) {
      s += share(layer, x) * probability[layer][x] / tokens;
    }
    return e * s;
  }

  /**
   * How much a token's id alone decides its experts in layer l: for every token id, its assignments
   * to the k experts it goes to most often, summed over ids and divided by tokens x k. 1 when every
   * occurrence of a token goes to the same experts (routing by token, context ignored); lower when
   * the context moves it. NaN for a partial result or before any token.
   */
  public double tokenConsistency(int layer) {
    int k = kinds[layer].topK();
    if (!vocabulary || tokens == 0 || k == 0) {
      return Double.NaN;
    }
    long sum = 0;
    for (int[] row : tokenExperts.get(layer).values()) {
      int[] sorted = row.clone();
      java.util.Arrays.sort(sorted);
      for (int j = 0; j < k && j < sorted.length; j++) {
        sum += sorted[sorted.length - 1 - j];
      }
    }
    return (double) sum / ((double) tokens * k);
  }

  /** Mean router probability of expert e. */
  public double meanProbability(int layer, int expert) {
    return tokens == 0 ? Double.NaN : probability[layer][expert] / tokens;
  }

  /** Experts no token chose in layer l. */
  public List<Integer> deadExperts(int layer) {
    List<Integer> out = new ArrayList<>();
    for (int x = 0; x < kinds[layer].experts(); x++) {
      if (tokens > 0 && use(layer, x) == 0) {
        out.add(x);
      }
    }
    return out;
  }

  /** Share below which an expert counts as almost never used: a tenth of the uniform share. */
  public static final double RARE = 0.1;

  /** Experts chosen, but with less than {@link #RARE} of the uniform share. */
  public List<Integer> rareExperts(int layer) {
    List<Integer> out = new ArrayList<>();
    int e = kinds[layer].experts();
    for (int x = 0; x < e; x++) {
      long u = use(layer, x);
      if (u > 0 && share(layer, x) < RARE / e) {
        out.add(x);
      }
    }
    return out;
  }

  /** Occurrences of a token in the analysed text. */
  public long count(int id) {
    return tokenCounts.getOrDefault(id, 0L);
  }

  /** A token's label (as the tokenizer shows one token). */
  public String label(int id) {
    return labels.getOrDefault(id, "#" + id);
  }

  /**
   * The n tokens routed to expert e most often, with their exclusivity (the share of the token's
   * occurrences that chose e); ties to the lower id.
   */
  public List<TokenShare> topTokens(int layer, int expert, int n) {
    if (!vocabulary) {
      return List.of();
    }
    List<TokenShare> all = new ArrayList<>();
    tokenExperts
        .get(layer)
        .forEach(
            (id, row) -> {
              if (row[expert] > 0) {
                all.add(
                    new TokenShare(id, label(id), row[expert], (double) row[expert] / count(id)));
              }
            });
    all.sort(
        Comparator.comparingLong(TokenShare::count).reversed().thenComparingInt(TokenShare::id));
    return List.copyOf(all.subList(0, Math.min(n, all.size())));
  }

  /**
   * The n most frequent tokens and, for each, the experts its occurrences chose in layer l, most
   * chosen first; ties to the lower id.
   */
  public List<TokenRouting> tokenRouting(int layer, int n) {
    if (!vocabulary) {
      return List.of();
    }
    List<Map.Entry<Integer, Long>> frequent = new ArrayList<>(tokenCounts.entrySet());
    frequent.sort(
        Map.Entry.<Integer, Long>comparingByValue()
            .reversed()
            .thenComparing(Map.Entry.comparingByKey()));
    List<TokenRouting> out = new ArrayList<>();
    for (Map.Entry<Integer, Long> f : frequent.subList(0, Math.min(n, frequent.size()))) {
      int[] row = tokenExperts.get(layer).get(f.getKey());
      List<ExpertShare> experts = new ArrayList<>();
      for (int x = 0; row != null && x < row.length; x++) {
        if (row[x] > 0) {
          experts.add(new ExpertShare(x, row[x], (double) row[x] / f.getValue()));
        }
      }
      experts.sort(
          Comparator.comparingLong(ExpertShare::count)
              .reversed()
              .thenComparingInt(ExpertShare::expert));
      out.add(new TokenRouting(f.getKey(), label(f.getKey()), f.getValue(), List.copyOf(experts)));
    }
    return out;
  }

  /** Sparse FF: how often unit u (block u / N, unit u % N) was chosen for domain d's tokens. */
  public long unitUse(int layer, int domain, int unit) {
    return units[layer][domain][unit];
  }

  /**
   * Sparse FF: the entropy of unit use within each block averaged over the blocks, divided by ln N
   * (1: every unit of a block equally used; 0: one unit per block always), over every domain.
   */
  public double unitEntropy(int layer) {
    LayerKind k = kinds[layer];
    if (!k.sparseFf() || tokens == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (int g = 0; g < k.blocks(); g++) {
      double h = 0;
      for (int i = 0; i < k.blockSize(); i++) {
        long c = 0;
        for (long[] d : units[layer]) {
          c += d[g * k.blockSize() + i];
        }
        double p = (double) c / tokens;
        if (p > 0) {
          h -= p * Math.log(p);
        }
      }
      sum += h / Math.log(k.blockSize());
    }
    return sum / k.blocks();
  }

  /** Sparse FF: units of layer l that no token chose. */
  public int unusedUnits(int layer) {
    int n = 0;
    for (int u = 0; u < kinds[layer].units(); u++) {
      long c = 0;
      for (long[] d : units[layer]) {
        c += d[u];
      }
      if (c == 0) {
        n++;
      }
    }
    return tokens == 0 ? 0 : n;
  }

  /** Example contexts of tokens routed to expert e in layer l (a uniform sample). */
  public List<Example> examples(int layer, int expert) {
    return examples.get(layer).get(expert);
  }

  /** Router saturation against the second model in layer l; null where none was compared. */
  public Saturation saturation(int layer) {
    if (compared[layer] == 0) {
      return null;
    }
    return new Saturation(
        compared[layer],
        overlap[layer] / compared[layer],
        (double) identical[layer] / compared[layer]);
  }
}
