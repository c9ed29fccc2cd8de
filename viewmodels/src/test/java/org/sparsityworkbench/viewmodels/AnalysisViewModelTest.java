package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javafx.collections.FXCollections;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.CorpusAnalysis;
import org.sparsityworkbench.engine.analysis.LayerKind;
import org.sparsityworkbench.engine.analysis.RoutingTally;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.Router;
import org.sparsityworkbench.engine.tokenizer.ByteTokenizer;

/**
 * The Analyse view model with a runner of the test's own (no PyTorch): results are counted by the
 * engine's tally from routings made by hand, and the test plays the engine thread.
 */
@org.junit.jupiter.api.Tag("no-pytorch")
class AnalysisViewModelTest {
  static final Path MODEL_A = Path.of("models/switch-a");
  static final Path MODEL_B = Path.of("models/switch-b");
  static final Path CORPUS = Path.of("corpus");

  /** A runner whose runs the test drives: their listener, their future and their cancel flag. */
  static final class FakeRunner implements AnalysisRunner {
    final List<CorpusAnalysis.Listener> listeners = new ArrayList<>();
    final List<CompletableFuture<AnalysisResult>> futures = new ArrayList<>();
    final List<Boolean> cancelled = new ArrayList<>();
    final List<Path> models = new ArrayList<>();

    @Override
    public Job start(
        Path model,
        Path compare,
        org.sparsityworkbench.engine.analysis.AnalysisCorpus.Source corpus,
        CorpusAnalysis.Options options,
        CorpusAnalysis.Listener listener) {
      int i = listeners.size();
      listeners.add(listener);
      futures.add(new CompletableFuture<>());
      cancelled.add(false);
      models.add(model);
      return new Job() {
        @Override
        public void cancel() {
          cancelled.set(i, true);
        }

        @Override
        public CompletableFuture<AnalysisResult> done() {
          return futures.get(i);
        }
      };
    }
  }

  /**
   * A two-layer, four-expert top-1 result over the text: byte b goes to expert b mod 4 in layer 0
   * and (b + 1) mod 4 in layer 1.
   */
  static AnalysisResult result(String model, String text, boolean complete) {
    LayerKind[] kinds = {new LayerKind(0, 4, 1, 0, 0), new LayerKind(1, 4, 1, 0, 0)};
    RoutingTally tally = new RoutingTally(kinds, List.of("prose"), ByteTokenizer.INSTANCE);
    int[] ids = ByteTokenizer.INSTANCE.encode(text);
    RoutingTally.Batch batch =
        new RoutingTally.Batch(
            0, new int[][] {ids}, new String[] {"a.txt"}, new int[] {0}, new int[][] {ids});
    List<LayerTrace> traces = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      float[] probs = new float[ids.length * 4];
      for (int t = 0; t < ids.length; t++) {
        for (int e = 0; e < 4; e++) {
          probs[t * 4 + e] = e == (ids[t] + l) % 4 ? 0.7f : 0.1f;
        }
      }
      LayerTrace tr = new LayerTrace();
      tr.routerProbs = probs;
      tr.routing = Router.route(probs, null, ids.length, 4, 1, false, Integer.MAX_VALUE);
      traces.add(tr);
    }
    tally.addTokens(batch);
    tally.addLayers(batch, traces);
    return tally.snapshot(
        new AnalysisResult.Run(
            model, "switch", null, complete ? ids.length : 2L * ids.length, 16, 1, 1.5, complete));
  }

  FakeRunner runner = new FakeRunner();
  AnalysisViewModel vm =
      new AnalysisViewModel(
          runner,
          FXCollections.observableArrayList(MODEL_A, MODEL_B),
          MODEL_A,
          CORPUS,
          new Inbox.Doorbell());

  @Test
  void aRunReportsProgressThenItsResultAndTheSelectedExpertsTokens() {
    vm.tokensProperty().set(1000);
    vm.run();
    assertTrue(vm.runningProperty().get());
    assertFalse(vm.canRunBinding().get(), "one run at a time");
    assertEquals(-1, vm.progressProperty().get(), "loading: indeterminate");
    runner.listeners.get(0).progress(250, 1000, 2.0);
    vm.refresh();
    assertEquals(0.25, vm.progressProperty().get(), 1e-12);
    assertEquals("250 of 1,000 tokens · 125 tokens/s · 6 s left", vm.progressTextProperty().get());
    AnalysisResult r = result("switch-a", "abcd abcd aaaa", true);
    runner.futures.get(0).complete(r);
    vm.refresh();
    assertFalse(vm.runningProperty().get());
    assertSame(r, vm.resultProperty().get());
    assertTrue(vm.statusProperty().get().startsWith("Done: 14 tokens"), vm.statusProperty().get());
    assertEquals("switch-a on prose: 14 tokens", vm.headingProperty().get());
    assertEquals(List.of(0, 1), vm.layers());
    assertEquals(0, vm.layerProperty().get());
    // 'a' is 97 = 1 mod 4: expert 1 in layer 0 holds the six a's, and only them.
    vm.expertProperty().set(1);
    assertEquals(1, vm.expertTokens().size());
    assertEquals(new AnalysisViewModel.TokenRow('a', "a", "6", "100%"), vm.expertTokens().get(0));
    assertEquals(r.examples(0, 1).size(), vm.examples().size());
    assertEquals("a", vm.examples().get(0).token());
    assertTrue(vm.expertTitleProperty().get().startsWith("Expert 1 of layer 0"));
    assertEquals(1, vm.useMapProperty().get().marked(), "the map outlines the selected expert");
    // Layer 1: the selected expert's tokens are that layer's (there, d = 100 goes to expert 1).
    vm.layerProperty().set(1);
    assertTrue(vm.layerSummaryProperty().get().startsWith("Layer 1: 4 experts, top-1"));
    assertEquals(
        r.topTokens(1, 1, AnalysisViewModel.LISTED).stream()
            .map(AnalysisResult.TokenShare::id)
            .toList(),
        vm.expertTokens().stream().map(AnalysisViewModel.TokenRow::id).toList());
    // The spaces of a token are shown.
    vm.layerProperty().set(0);
    vm.expertProperty().set(0); // ' ' = 32 = 0 mod 4
    assertEquals("\u2423", vm.expertTokens().get(0).token());
  }

  @Test
  void changingTheModelCancelsTheRunAndItsLateResultNeverShowsUnderTheNewName() {
    vm.run();
    runner.listeners.get(0).partial(result("switch-a", "abab", false));
    vm.refresh();
    assertTrue(vm.headingProperty().get().contains("so far"), vm.headingProperty().get());
    vm.modelProperty().set(MODEL_B);
    assertTrue(runner.cancelled.get(0), "the old run is cancelled");
    assertNull(vm.resultProperty().get());
    assertEquals("", vm.headingProperty().get());
    assertFalse(vm.runningProperty().get());
    // The old run still completes on the engine thread: dropped.
    runner.futures.get(0).complete(result("switch-a", "abab", false));
    runner.listeners.get(0).progress(4, 8, 1);
    vm.refresh();
    assertNull(vm.resultProperty().get());
    assertEquals("", vm.progressTextProperty().get());
    // A result shown, then the budget changes: it goes too.
    vm.run();
    assertEquals(MODEL_B, runner.models.get(1));
    runner.futures.get(1).complete(result("switch-b", "abab", true));
    vm.refresh();
    vm.expertProperty().set(1);
    assertFalse(vm.expertTokens().isEmpty());
    vm.tokensProperty().set(5000);
    assertNull(vm.resultProperty().get());
    assertTrue(vm.expertTokens().isEmpty());
    assertTrue(vm.layers().isEmpty());
    // And the corpus.
    vm.run();
    runner.futures.get(2).complete(result("switch-b", "abab", true));
    vm.refresh();
    vm.corpusProperty().set(Path.of("other-corpus"));
    assertNull(vm.resultProperty().get());
  }

  @Test
  void aCancelledRunKeepsItsPartialResultAndSaysHowMuchItCovers() {
    vm.run();
    vm.cancel();
    assertTrue(runner.cancelled.get(0));
    runner.futures.get(0).complete(result("switch-a", "abcdabcd", false));
    vm.refresh();
    assertEquals("Cancelled: the result covers 8 of 16 tokens (50%).", vm.statusProperty().get());
    assertEquals(0.5, vm.progressProperty().get(), 1e-12);
    assertTrue(vm.headingProperty().get().endsWith("8 tokens so far (50% of 16)"));
  }

  @Test
  void noRunWhileTheEngineDecodesAndAPartialResultDefersItsTokens() {
    vm.engineBusyProperty().set(true);
    assertFalse(vm.canRunBinding().get(), "a decode holds the engine thread");
    vm.run();
    assertTrue(runner.listeners.isEmpty());
    vm.engineBusyProperty().set(false);
    vm.run();
    LayerKind[] kinds = {new LayerKind(0, 4, 1, 0, 0), new LayerKind(1, 4, 1, 0, 0)};
    AnalysisResult full = result("switch-a", "abab", false);
    RoutingTally empty = new RoutingTally(kinds, List.of("prose"), ByteTokenizer.INSTANCE);
    AnalysisResult partial = empty.snapshot(full.run(), false);
    runner.listeners.get(0).partial(partial);
    vm.refresh();
    vm.expertProperty().set(1);
    assertTrue(vm.expertTokens().isEmpty());
    assertTrue(
        vm.expertTitleProperty().get().endsWith("listed when the run ends"),
        vm.expertTitleProperty().get());
  }

  @Test
  void aFailedRunSaysWhyAndShowsNothing() {
    vm.run();
    runner
        .futures
        .get(0)
        .completeExceptionally(
            new java.util.concurrent.CompletionException(
                new IllegalArgumentException(
                    "dense (dense) has no routed or sparse feed-forward layer")));
    vm.refresh();
    assertFalse(vm.runningProperty().get());
    assertNull(vm.resultProperty().get());
    assertEquals(
        "dense (dense) has no routed or sparse feed-forward layer", vm.statusProperty().get());
    assertTrue(vm.canRunBinding().get(), "it can run again");
  }

  @Test
  void theMapsCellsAreSharesAgainstAnEvenSplitAndCoactivationIsConditional() {
    AnalysisResult r = result("switch-a", "aaab", true); // a -> 1, b -> 2 in layer 0
    double[][] use = AnalysisTables.useVsUniform(r, 0);
    assertEquals(List.of("prose", "all"), AnalysisTables.useRows(r));
    assertEquals(3, use[0][1], 1e-12, "3 of 4 tokens at expert 1: 0.75 / 0.25");
    assertEquals(1, use[0][2], 1e-12);
    assertEquals(0, use[0][0], 1e-12);
    assertEquals(use[0][1], use[1][1], 1e-12, "one domain: all = it");
    double[][] next = AnalysisTables.coactivation(r, 0, AnalysisTables.Pairing.NEXT_LAYER);
    assertEquals(1, next[1][2], 1e-12, "expert 1's tokens (a) go to 2 in layer 1");
    assertTrue(Double.isNaN(next[0][0]), "expert 0 had no tokens");
    assertNull(
        AnalysisTables.coactivation(r, 0, AnalysisTables.Pairing.WITHIN_TOKEN), "top-1: no pairs");
    assertNull(AnalysisTables.coactivation(r, 1, AnalysisTables.Pairing.NEXT_LAYER), "last layer");
    // Through the view model: the maps of the shown layer, and what stands in for a missing one.
    vm.run();
    runner.futures.get(0).complete(r);
    vm.refresh();
    HeatMap m = vm.useMapProperty().get();
    assertEquals(HeatMap.Scale.RATIO, m.scale());
    assertEquals(3, m.values()[0][1], 1e-12);
    assertTrue(m.readings()[0][1].startsWith("prose, expert 1: 3 assignments, 75.0%"));
    vm.click(1, 2);
    assertEquals(2, vm.expertProperty().get(), "a click selects its column's expert");
    assertNotNull(vm.pairMapProperty().get());
    vm.pairingProperty().set(AnalysisTables.Pairing.WITHIN_TOKEN);
    assertNull(vm.pairMapProperty().get());
    assertTrue(vm.pairMessageProperty().get().startsWith("Top-1"));
    vm.layerProperty().set(1);
    vm.pairingProperty().set(AnalysisTables.Pairing.NEXT_LAYER);
    assertEquals("No routed layer follows this one.", vm.pairMessageProperty().get());
  }
}
