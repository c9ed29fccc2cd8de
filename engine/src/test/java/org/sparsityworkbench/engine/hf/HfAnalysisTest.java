package org.sparsityworkbench.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.analysis.AnalysisCorpus;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.CorpusAnalysis;
import org.sparsityworkbench.engine.analysis.LayerKind;
import org.sparsityworkbench.engine.model.TransformerModel;

/** Corpus analysis of imported checkpoints: their tokenizer, their routers. */
class HfAnalysisTest {
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mixtral", "olmoe", "qwen2_moe", "qwen3_moe", "granitemoe"})
  void importedMixturesAreCountedPerTokenAndBatchingChangesNothing(String model, @TempDir Path tmp)
      throws Exception {
    Path dir =
        HfFixtures.directory(
            tmp, model, false, org.sparsityworkbench.engine.io.SafeTensors.DType.F32, 1);
    Path corpus = tmp.resolve("corpus");
    Files.createDirectories(corpus.resolve("prose"));
    Files.createDirectories(corpus.resolve("code"));
    Files.writeString(
        corpus.resolve("prose/a.txt"),
        "The experts of a mixture each see some of the tokens. ".repeat(8));
    Files.writeString(corpus.resolve("code/b.py"), "def f(x):\n    return x * 2 + 1\n".repeat(8));
    AnalysisCorpus c = AnalysisCorpus.of(corpus);
    try (TransformerModel m =
        HfLoader.load(dir, root, org.sparsityworkbench.engine.io.LoadProgress.NONE)) {
      AnalysisResult one =
          CorpusAnalysis.run(
              m, null, c, new CorpusAnalysis.Options(10_000, 16, 1), (a, b, s) -> {}, () -> false);
      AnalysisResult three =
          CorpusAnalysis.run(
              m, null, c, new CorpusAnalysis.Options(10_000, 16, 3), (a, b, s) -> {}, () -> false);
      assertTrue(one.run().complete());
      List<LayerKind> routed = one.routedLayers();
      long moe =
          m.spec().blocks().stream()
              .filter(
                  b ->
                      b.feedForward()
                          instanceof org.sparsityworkbench.engine.spec.FeedForwardSpec.Moe)
              .count();
      assertTrue(moe > 0);
      assertEquals(moe, routed.size(), model + ": every routed layer (Qwen's dense ones left out)");
      assertEquals(List.of("code", "prose"), one.domains());
      for (LayerKind k : routed) {
        long sum = 0;
        for (int e = 0; e < k.experts(); e++) {
          sum += one.use(k.layer(), e);
          for (int d = 0; d < 2; d++) {
            assertEquals(
                one.use(k.layer(), d, e),
                three.use(k.layer(), d, e),
                model + " layer " + k.layer() + " expert " + e + ": batched as one");
          }
        }
        assertEquals(one.tokens() * k.topK(), sum, model + ": tokens x k");
      }
      assertEquals(one.tokens(), three.tokens());
      // Token labels are the checkpoint tokenizer's, not bytes.
      AnalysisResult.TokenRouting top = one.tokenRouting(0, 1).get(0);
      assertEquals(m.tokenizer().label(top.id()), top.label());
    }
  }
}
