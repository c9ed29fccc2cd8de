package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * The main view model on the {@link ScriptedEngine}: no PyTorch, no weights, no JavaFX toolkit.
 * Tagged {@code no-pytorch}: the build runs these tests a second time with DJL's PyTorch engine
 * left off the class path, which proves that the view models need nothing of it.
 */
@Tag("no-pytorch")
class EngineFreeViewModelTest {
  @TempDir Path dir;
  final ScriptedEngine engine = new ScriptedEngine();

  /** A switch model's config.json (no weights: the scripted engine reads only this). */
  Path switchModel(String name, int layers, int experts, int context) throws Exception {
    Path d = Files.createDirectories(dir.resolve(name));
    Files.writeString(
        d.resolve("config.json"),
        """
        {"family": "switch", "vocab_size": 256, "d_model": 32, "n_layers": %d, "n_heads": 2,
         "d_ff": 64, "context_length": %d, "norm_eps": 1e-5, "num_experts": %d, "top_k": 1,
         "capacity_factor": 1.25, "router_jitter": 0, "aux_loss_weight": 0.01,
         "z_loss_weight": 0.001}
        """
            .formatted(layers, context, experts));
    return d;
  }

  static void await(MainViewModel vm, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out; status: " + vm.statusProperty().get());
      }
      Thread.sleep(2);
      vm.refresh();
    }
  }

  MainViewModel loaded(Path... models) throws InterruptedException {
    MainViewModel vm = new MainViewModel(engine, List.of(models));
    await(
        vm,
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    return vm;
  }

  @Test
  void theRunWithoutPytorchHasNoPytorch() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("workbench.test.noPytorch"));
    assertThrows(
        ClassNotFoundException.class, () -> Class.forName("ai.djl.pytorch.engine.PtEngine"));
  }

  @Test
  void theDecodeShownIsTheEnginesRecordsTokenByToken() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 2, 4, 256));
    assertEquals("scripted engine (no PyTorch)", vm.engineInfoProperty().get());
    assertEquals(2, vm.shown().layerCountProperty().get());
    assertTrue(vm.shown().routesProperty().get());
    assertEquals(4, vm.shown().routeKeyCount());

    vm.promptProperty().set("Hi");
    vm.maxTokensProperty().set(30);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());

    String expected = (ScriptedEngine.TEXT + ScriptedEngine.TEXT).substring(0, 30);
    assertEquals(expected, vm.generatedTextProperty().get());
    assertEquals(30, vm.history().tokens().size());
    assertEquals(30, vm.history().window().size());
    for (int i = 0; i < 30; i++) {
      int b = expected.charAt(i);
      assertEquals((b + 1) % 4, vm.stream().routeKeyAt(2 + i, 1), "layer 1's expert of token " + i);
    }
    assertEquals('H' % 4, vm.stream().routeKeyAt(0, 0), "prompt positions from the prefill");
    assertEquals("Hi", engine.prompts.getLast());
    assertTrue(vm.stream().tokenDetailsProperty().get().startsWith("Newest token"));
  }

  @Test
  void stepTakesOneTokenAtATimeAndPauseHolds() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 2, 256));
    vm.maxTokensProperty().set(50);
    vm.step();
    await(vm, () -> vm.history().tokens().size() == 1);
    assertTrue(vm.runningProperty().get() && vm.pausedProperty().get());
    vm.step();
    await(vm, () -> vm.history().tokens().size() == 2);
    Thread.sleep(50);
    vm.refresh();
    assertEquals(2, vm.history().tokens().size(), "held: no token without a step");
    vm.togglePause();
    await(vm, () -> !vm.runningProperty().get());
    assertEquals(50, vm.history().tokens().size());
  }

  @Test
  void aBanSetMidDecodeHoldsFromTheNextTokenOn() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 4, 512));
    vm.maxTokensProperty().set(40);
    vm.step();
    await(vm, () -> vm.history().tokens().size() == 1);
    int banned = vm.history().tokens().getFirst().routeKey(0);
    assertTrue(vm.intervention().addIntervention("ban", "0:" + banned), vm.errorProperty().get());
    vm.togglePause();
    await(vm, () -> !vm.runningProperty().get());
    for (TokenSnapshot t : vm.history().tokens().subList(1, 40)) {
      assertTrue(t.routeKey(0) != banned, "token " + t.step() + " went to the banned expert");
      assertEquals(List.of("ban 0:" + banned), t.record().interventions());
    }
    assertFalse(vm.intervention().addIntervention("ban", "0:9"), "no expert 9");
    assertTrue(vm.errorProperty().get().contains("9"), vm.errorProperty().get());
  }

  @Test
  void anotherModelClearsTheDecodeAndReleasesTheOld() throws Exception {
    Path a = switchModel("a", 2, 4, 256);
    Path b = switchModel("b", 3, 8, 256);
    MainViewModel vm = loaded(a, b);
    long first = vm.library().modelProperty().get().id();
    vm.maxTokensProperty().set(10);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    assertTrue(vm.intervention().addIntervention("ban", "1:2"));

    vm.library().selectedModelProperty().set(b);
    vm.library().loadSelected();
    await(
        vm,
        () ->
            vm.library().loadedModelProperty().get().equals(b)
                && !vm.library().loadingProperty().get());
    assertEquals(List.of(first), engine.released);
    assertEquals(0, vm.history().tokens().size());
    assertEquals("", vm.generatedTextProperty().get());
    assertTrue(vm.intervention().interventions().isEmpty(), "they named the old model's experts");
    assertEquals(3, vm.shown().layerCountProperty().get());
    assertEquals(8, vm.shown().routeKeyCount());
  }

  @Test
  void aFolderThatIsNoModelLeavesTheLoadedOneAndTheList() throws Exception {
    Path a = switchModel("a", 1, 2, 256);
    MainViewModel vm = loaded(a);
    Path empty = Files.createDirectories(dir.resolve("empty"));
    vm.library().open(empty);
    await(vm, () -> !vm.library().loadingProperty().get() && vm.errorProperty().get() != null);
    assertTrue(vm.errorProperty().get().contains("config.json"), vm.errorProperty().get());
    assertEquals(List.of(a), vm.library().models());
    assertEquals(a, vm.library().selectedModelProperty().get());
    assertEquals(a, vm.library().loadedModelProperty().get());
  }

  @Test
  void aSavedSessionOpensWithoutTheModelAndStepsBack() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 2, 4, 256));
    vm.promptProperty().set("Go");
    vm.maxTokensProperty().set(12);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    Path file = dir.resolve("run.session");
    vm.session().saveSession(file);
    await(vm, () -> vm.statusProperty().get().startsWith("Saved"));
    SessionFile saved = SessionFile.read(file);
    assertEquals(12, saved.tokens().size());
    assertEquals("Go", saved.prefill().session().prompt());

    // A fresh view model with no model at all opens it.
    MainViewModel other = new MainViewModel(engine, List.of());
    other.session().openSession(file);
    await(
        other,
        () ->
            other.session().shownSessionProperty().get() != null
                && other.history().tokens().size() == 12);
    assertNull(other.library().modelProperty().get());
    assertEquals(vm.generatedTextProperty().get(), other.generatedTextProperty().get());
    other.session().timelineProperty().set(5);
    await(other, () -> other.history().tokens().size() == 5);
    assertEquals(
        vm.generatedTextProperty().get().substring(0, 5), other.generatedTextProperty().get());
    assertEquals(vm.stream().routeKeyAt(2 + 4, 1), other.stream().routeKeyAt(2 + 4, 1));
  }

  @Test
  void theJsonlExportIsTheRecordsOfTheDecodeShown() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 2, 256));
    vm.maxTokensProperty().set(8);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    Path out = dir.resolve("t.jsonl");
    vm.exportJsonl(out).join();
    List<String> lines = Files.readAllLines(out);
    assertEquals(10, lines.size(), "prefill, 8 tokens, end");
    assertTrue(lines.getFirst().contains("\"type\":\"prefill\""));
    assertTrue(lines.getLast().contains("\"type\":\"end\""));
    assertNotNull(vm.history().prefillProperty().get());
  }

  @Test
  void aPromptTheEngineRefusesLeavesTheDecodeShown() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 2, 16));
    vm.maxTokensProperty().set(4);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    String shown = vm.generatedTextProperty().get();
    vm.promptProperty().set("a prompt far longer than sixteen bytes");
    vm.generate();
    assertFalse(vm.runningProperty().get());
    assertTrue(vm.errorProperty().get().contains("fit"), vm.errorProperty().get());
    assertEquals(shown, vm.generatedTextProperty().get());
    assertThrows(
        IllegalArgumentException.class,
        () -> engine.decode(vm.library().modelProperty().get(), "", null, r -> {}, false));
  }

  @Test
  void recordsCarryNoAttentionBeyondTheFullRowWindowOnceOld() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 2, 1024));
    vm.maxTokensProperty().set(MainViewModel.FULL_ROWS + 20);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    Records.Token oldest = vm.history().tokens().getFirst().record();
    assertNull(oldest.layers().getFirst().attention(), "the oldest token's full rows are let go");
    assertNotNull(vm.history().tokens().getLast().fullRecord().layers().getFirst().attention());
  }

  @Test
  void anExportThatCannotBeWrittenSaysWhichFileAndWhy() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 2, 256));
    vm.maxTokensProperty().set(3);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    Path folder = Files.createDirectories(dir.resolve("a-folder.csv"));
    var written = vm.exportCsv(folder);
    await(vm, () -> vm.errorProperty().get() != null);
    assertTrue(written.isCompletedExceptionally());
    assertTrue(
        vm.errorProperty().get().startsWith("Cannot write " + folder), vm.errorProperty().get());
    vm.acknowledgeError();
    Path ok = dir.resolve("t.csv");
    vm.exportCsv(ok).join();
    await(vm, () -> vm.statusProperty().get().startsWith("Exported"));
    assertEquals("Exported the telemetry table to " + ok, vm.statusProperty().get());
    assertEquals(1 + 3, Files.readAllLines(ok).size(), "header and one row per token and layer");
  }

  @Test
  void stepIsOfferedWhenGenerateIsOrADecodeRunsAndTheLegendNamesExperts() throws Exception {
    MainViewModel none = new MainViewModel(engine, List.of());
    assertFalse(none.canStepBinding().get(), "no model");
    MainViewModel vm = loaded(switchModel("s", 1, 4, 256));
    assertTrue(vm.canStepBinding().get());
    vm.maxTokensProperty().set(5);
    vm.step();
    assertFalse(vm.canGenerateBinding().get());
    assertTrue(vm.canStepBinding().get(), "held: Step takes the next token");
    vm.stop();
    await(vm, () -> !vm.runningProperty().get());
    assertEquals("e3", vm.shown().routeKeyLabel(3));
    assertEquals("expert 3", vm.shown().routeKeyDescription(3));
    assertFalse(vm.shown().showsPatches());
    assertTrue(ShownModel.hasPatches("megabyte") && !ShownModel.perTokenLayers("megabyte"));
  }
}
