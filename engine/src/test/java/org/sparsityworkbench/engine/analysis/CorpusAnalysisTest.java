package org.sparsityworkbench.engine.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.model.ParameterLayout;
import org.sparsityworkbench.engine.model.TransformerModel;

/**
 * Corpus analysis on models whose choices are fixed by construction: attention and experts add
 * nothing to the residual stream (wo = 0, W2 = 0, no positions), so every layer sees the byte's
 * embedding, a one-hot vector of the byte's class (digit, lower case, upper case, other); the
 * router of layer l sends class c to expert (c + l) mod 4 (and, for top-2, second to (c + l + 1)
 * mod 4), and the sparse FF controller picks unit (c + g) mod N in block g.
 */
class CorpusAnalysisTest {
  static final int D = 32;
  static final int E = 4;
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  static int cls(int b) {
    if (b >= '0' && b <= '9') {
      return 0;
    }
    if (b >= 'a' && b <= 'z') {
      return 1;
    }
    if (b >= 'A' && b <= 'Z') {
      return 2;
    }
    return 3;
  }

  /** A model of the family whose routing follows the byte classes. */
  static TransformerModel constructed(ModelConfig c) {
    Map<String, float[]> v = new LinkedHashMap<>();
    try (TransformerModel random = TransformerModel.random(c, 1, root)) {
      for (ParameterLayout.Param p : ParameterLayout.of(c)) {
        v.put(p.name(), random.param(p.name()).toFloatArray());
      }
    }
    float[] embed = new float[256 * D];
    for (int b = 0; b < 256; b++) {
      embed[b * D + cls(b)] = 1f;
    }
    v.put("embed.weight", embed);
    v.put("pos_embed.weight", new float[c.contextLength() * D]);
    for (int l = 0; l < c.nLayers(); l++) {
      String p = "layers." + l + ".";
      v.put(p + "attn.wo", new float[D * D]);
      if (c.family().isMoe()) {
        float[] router = new float[D * E]; // (d, E)
        for (int k = 0; k < 4; k++) {
          router[k * E + (k + l) % E] = 10f;
          router[k * E + (k + l + 1) % E] = 5f;
        }
        v.put(p + "moe.router", router);
        v.put(p + "moe.w2", new float[v.get(p + "moe.w2").length]);
      } else {
        int f = c.dFf();
        int n = c.blockSize();
        int r = c.controllerRank();
        float[] a = new float[D * r];
        for (int k = 0; k < 4; k++) {
          a[k * r + k] = 1f;
        }
        float[] bm = new float[r * f];
        for (int k = 0; k < 4; k++) {
          for (int g = 0; g < f / n; g++) {
            bm[k * f + g * n + (k + g) % n] = 10f;
          }
        }
        v.put(p + "ffn.ctrl_a", a);
        v.put(p + "ffn.ctrl_b", bm);
        v.put(p + "ffn.ctrl_bias", new float[f]);
        v.put(p + "ffn.w2", new float[f * D]);
      }
    }
    return TransformerModel.fromValues(c, v, root, null);
  }

  static ModelConfig moe(int k) {
    return ModelConfig.moe(k == 1 ? Family.SWITCH : Family.TOPK, D, 2, 4, 64, 32, E, k, 1.25);
  }

  static final String DIGITS = "3141592653589793238462643383279502884197".repeat(6);
  static final String WORDS = "the quick brown fox jumps over the lazy dog. ".repeat(5);
  static final String MIXED = "Call 555 0199 Now, Ask For Ms. Smith 42!\n".repeat(4);

  static AnalysisCorpus corpus(Path dir) throws Exception {
    write(dir.resolve("digits/pi.txt"), DIGITS);
    write(dir.resolve("words/fox.txt"), WORDS);
    write(dir.resolve("mixed/a.txt"), MIXED.substring(0, 70));
    write(dir.resolve("mixed/b.txt"), MIXED.substring(70));
    write(dir.resolve("mixed/README.md"), "not part of the corpus");
    return AnalysisCorpus.of(dir);
  }

  static void write(Path f, String s) throws Exception {
    Files.createDirectories(f.getParent());
    Files.writeString(f, s, StandardCharsets.UTF_8);
  }

  /** Occurrences of each class in a text. */
  static long[] classes(String s) {
    long[] n = new long[4];
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      n[cls(b & 0xff)]++;
    }
    return n;
  }

  static AnalysisResult run(
      TransformerModel m, TransformerModel other, AnalysisCorpus c, long budget) throws Exception {
    return CorpusAnalysis.run(
        m, other, c, new CorpusAnalysis.Options(budget, 16, 3), (a, b, s) -> {}, () -> false);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void expertUseTokensAndNextLayerComeOutAsConstructed(int k, @TempDir Path dir) throws Exception {
    AnalysisCorpus c = corpus(dir);
    assertEquals(List.of("digits", "mixed", "words"), c.names());
    try (TransformerModel m = constructed(moe(k))) {
      AnalysisResult r = run(m, null, c, 1_000_000);
      assertTrue(r.run().complete());
      String[] texts = {DIGITS, MIXED, WORDS};
      long total = 0;
      for (int d = 0; d < 3; d++) {
        long[] n = classes(texts[d]);
        assertEquals(texts[d].length(), r.domainTokens(d), "every byte of " + c.names().get(d));
        total += texts[d].length();
        for (int l = 0; l < 2; l++) {
          long sum = 0;
          for (int e = 0; e < E; e++) {
            long want = 0;
            for (int cl = 0; cl < 4; cl++) {
              if ((cl + l) % E == e || (k == 2 && (cl + l + 1) % E == e)) {
                want += n[cl];
              }
            }
            assertEquals(want, r.use(l, d, e), "layer " + l + " domain " + d + " expert " + e);
            sum += r.use(l, d, e);
          }
          assertEquals(r.domainTokens(d) * k, sum, "counts sum to tokens x k");
        }
      }
      assertEquals(total, r.tokens());
      assertEquals(1.0, r.coverage(), 1e-12);
      // Vocabulary: expert (1 + l) of layer l takes every lower-case letter, each exclusively
      // (k=1).
      for (int l = 0; l < 2; l++) {
        for (AnalysisResult.TokenShare t : r.topTokens(l, (1 + l) % E, 100)) {
          assertTrue(cls(t.id()) == 1 || (k == 2 && cls(t.id()) == 0), t.label());
          if (k == 1) {
            assertEquals(1.0, t.exclusivity(), 1e-12, t.label());
          }
        }
        AnalysisResult.TokenRouting space =
            r.tokenRouting(l, 100).stream().filter(t -> t.id() == ' ').findFirst().orElseThrow();
        java.util.Set<Integer> want = new java.util.TreeSet<>(List.of((3 + l) % E));
        if (k == 2) {
          want.add((4 + l) % E);
        }
        java.util.Set<Integer> got = new java.util.TreeSet<>();
        for (AnalysisResult.ExpertShare e : space.experts()) {
          got.add(e.expert());
          assertEquals(1.0, e.share(), 1e-12, "every space goes to expert " + e.expert());
        }
        assertEquals(want, got);
      }
      // Next layer: class c goes to (c + l) at l, so expert e is followed by e + 1.
      long[][] next = r.nextLayer(0);
      for (int e = 0; e < E; e++) {
        for (int f = 0; f < E; f++) {
          long want = 0;
          if (k == 1) {
            want = f == (e + 1) % E ? r.use(0, e) : 0;
            assertEquals(want, next[e][f], e + " -> " + f);
          }
        }
      }
      assertNull(r.nextLayer(1), "the last layer has no next");
      // Within a token (top-2): the pair (c, c + 1) per class.
      if (k == 2) {
        long digits = classes(DIGITS)[0] + classes(MIXED)[0] + classes(WORDS)[0];
        assertEquals(digits, r.together(0, 0, 1));
        assertEquals(r.together(0, 0, 1), r.together(0, 1, 0));
        assertEquals(0, r.together(0, 0, 2));
      } else {
        assertEquals(0, r.together(0, 0, 1));
      }
      // Routing is all but certain: entropy near 0; every class occurs, so no expert is dead.
      assertTrue(r.meanEntropy(0) < 1e-3, "entropy " + r.meanEntropy(0));
      assertTrue(r.deadExperts(0).isEmpty());
      assertEquals(1.0, r.tokenConsistency(0), 1e-12, "routing by byte class: the id decides");
      // Examples are tokens of the expert's classes, in context.
      for (AnalysisResult.Example x : r.examples(0, 0)) {
        int b = x.token().charAt(0);
        assertTrue(cls(b) == 0 || (k == 2 && cls(b) == 3), x.toString());
        assertTrue(x.probability() > 0.5 || k == 2);
      }
      assertEquals(RoutingTally.EXAMPLES, r.examples(0, 0).size());
    }
  }

  @Test
  void anExpertOfAClassTheCorpusLacksIsDeadAndTheLoadIsUnbalanced(@TempDir Path dir)
      throws Exception {
    write(dir.resolve("lower/a.txt"), WORDS);
    try (TransformerModel m = constructed(moe(1))) {
      AnalysisResult r = run(m, null, AnalysisCorpus.of(dir), 1_000_000);
      assertEquals(List.of("lower"), r.domains(), "a folder without subfolders is one domain");
      // No digits, no capitals: in layer 0, experts 0 and 2 are never chosen.
      assertEquals(List.of(0, 2), r.deadExperts(0));
      assertEquals(List.of(1, 3), r.deadExperts(1));
      assertTrue(r.loadBalance(0) > 1.5, "load balance " + r.loadBalance(0));
      assertTrue(r.loadEntropy(0) < 0.6, "load entropy " + r.loadEntropy(0));
    }
  }

  @Test
  void twoRunsOfOneModelSaturateAtOneAndAnotherModelDoesNot(@TempDir Path dir) throws Exception {
    AnalysisCorpus c = corpus(dir);
    try (TransformerModel m = constructed(moe(2));
        TransformerModel same = constructed(moe(2));
        TransformerModel other = TransformerModel.random(moe(2), 9, root)) {
      AnalysisResult r = run(m, same, c, 1_000_000);
      for (int l = 0; l < 2; l++) {
        assertEquals(1.0, r.saturation(l).meanOverlap(), 1e-12);
        assertEquals(1.0, r.saturation(l).identicalShare(), 1e-12);
        assertEquals(r.tokens(), r.saturation(l).tokens());
      }
      AnalysisResult x = run(m, other, c, 1_000_000);
      assertTrue(x.saturation(0).meanOverlap() < 0.9, "overlap " + x.saturation(0).meanOverlap());
      assertTrue(
          x.saturation(0).identicalShare() < x.saturation(0).meanOverlap()
              || x.saturation(0).identicalShare() == 1.0);
    }
  }

  @Test
  void aCancelledRunIsAConsistentPartialResult(@TempDir Path dir) throws Exception {
    AnalysisCorpus c = corpus(dir);
    try (TransformerModel m = constructed(moe(2))) {
      int[] batches = {0};
      AnalysisResult r =
          CorpusAnalysis.run(
              m,
              null,
              c,
              new CorpusAnalysis.Options(1_000_000, 16, 2),
              (done, planned, s) -> batches[0]++,
              () -> batches[0] >= 4);
      assertFalse(r.run().complete());
      assertEquals(4, batches[0]);
      assertTrue(r.tokens() > 0 && r.tokens() < r.run().planned(), r.tokens() + " tokens");
      long domains = 0;
      for (int d = 0; d < 3; d++) {
        domains += r.domainTokens(d);
        assertTrue(r.domainTokens(d) > 0, "batches alternate domains: " + c.names().get(d));
      }
      assertEquals(r.tokens(), domains);
      for (int l = 0; l < 2; l++) {
        long sum = 0;
        for (int e = 0; e < E; e++) {
          sum += r.use(l, e);
        }
        assertEquals(r.tokens() * 2, sum);
      }
      assertTrue(r.coverage() < 1);
    }
  }

  @Test
  void theBudgetIsSharedEvenlyAndWhatASmallDomainCannotUseGoesToTheOthers(@TempDir Path dir)
      throws Exception {
    assertArrayEquals(
        new long[] {10, 45, 45}, CorpusAnalysis.quotas(new long[] {10, 500, 90}, 100));
    assertArrayEquals(
        new long[] {34, 33, 33}, sorted(CorpusAnalysis.quotas(new long[] {50, 50, 50}, 100)));
    assertArrayEquals(new long[] {5, 7}, CorpusAnalysis.quotas(new long[] {5, 7}, 1000));
    try (TransformerModel m = constructed(moe(1))) {
      AnalysisResult r = run(m, null, corpus(dir), 300);
      assertEquals(300, r.tokens());
      assertEquals(100, r.domainTokens(0));
      assertEquals(100, r.domainTokens(1));
      assertEquals(100, r.domainTokens(2));
    }
  }

  private static long[] sorted(long[] a) {
    long[] c = a.clone();
    java.util.Arrays.sort(c);
    for (int i = 0; i < c.length / 2; i++) {
      long t = c[i];
      c[i] = c[c.length - 1 - i];
      c[c.length - 1 - i] = t;
    }
    return c;
  }

  @Test
  void sparseFfUnitUseComesOutAsConstructed(@TempDir Path dir) throws Exception {
    ModelConfig c = ModelConfig.sparse(Family.SPARSE_FF, D, 2, 4, 64, 32, 8, 8, 0, 0);
    try (TransformerModel m = constructed(c)) {
      AnalysisResult r = run(m, null, corpus(dir), 1_000_000);
      assertTrue(r.routedLayers().isEmpty());
      assertEquals(2, r.sparseFfLayers().size());
      long[] n = classes(WORDS);
      int words = 2;
      for (int g = 0; g < 8; g++) {
        for (int u = 0; u < 8; u++) {
          long want = 0;
          for (int cl = 0; cl < 4; cl++) {
            if ((cl + g) % 8 == u) {
              want += n[cl];
            }
          }
          assertEquals(want, r.unitUse(0, words, g * 8 + u), "block " + g + " unit " + u);
        }
      }
      assertEquals(64 - 4 * 8, r.unusedUnits(0), "four classes use four units of each block");
    }
  }

  @Test
  void aDenseModelHasNothingToCountAndSaysSo(@TempDir Path dir) throws Exception {
    AnalysisCorpus c = corpus(dir);
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.DENSE, 32), 1, root)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> run(m, null, c, 100));
      assertTrue(e.getMessage().contains("no routed or sparse"), e.getMessage());
    }
  }

  @Test
  void theTablesAreWrittenWithTheirHeadersAndOneRowPerCount(@TempDir Path dir) throws Exception {
    try (TransformerModel m = constructed(moe(2))) {
      AnalysisResult r = run(m, null, corpus(dir.resolve("corpus")), 1_000_000);
      List<Path> files = AnalysisFiles.write(r, dir.resolve("out"));
      assertEquals(AnalysisFiles.NAMES.size(), files.size());
      List<String> use = Files.readAllLines(dir.resolve("out/expert_use.csv"));
      assertEquals("layer,domain,expert,count,share,share_vs_uniform", use.get(0));
      assertEquals(1 + 2 * (3 + 1) * E, use.size(), "layers x (domains + all) x experts");
      List<String> pairs = Files.readAllLines(dir.resolve("out/coactivation.csv"));
      assertEquals(1 + 2 * 6, pairs.size(), "layers x pairs");
      String summary = Files.readString(dir.resolve("out/summary.json"));
      var json = com.google.gson.JsonParser.parseString(summary).getAsJsonObject();
      assertEquals(r.tokens(), json.get("tokens").getAsLong());
      assertTrue(json.get("complete").getAsBoolean());
      assertEquals(2, json.getAsJsonArray("layers").size());
      // A comma token is quoted in the CSV.
      List<String> tokens =
          new ArrayList<>(Files.readAllLines(dir.resolve("out/expert_tokens.csv")));
      assertTrue(tokens.stream().anyMatch(l -> l.contains(",\",\",")), "the comma token, quoted");
    }
  }
}
