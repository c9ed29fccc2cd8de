package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparsityworkbench.viewmodels.MainViewModelTest.await;
import static org.sparsityworkbench.viewmodels.MainViewModelTest.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.session.ModelIdentity;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;

/** Save a decode, open it with no model at all, and step through it. */
class SessionViewModelTest {
  @TempDir Path dir;
  DecodeService service = new DecodeService();

  @AfterEach
  void close() {
    service.close();
  }

  private List<String> labels(MainViewModel vm) {
    return vm.history().tokens().stream().map(TokenSnapshot::label).toList();
  }

  @Test
  void aSavedDecodeOpensWithoutItsModelAndStepsBackAndForth() throws Exception {
    Path m = model(dir, "switch", ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 128, 4, 1, 1.25));
    MainViewModel live = new MainViewModel(service, List.of(m));
    await(live, () -> live.library().modelProperty().get() != null);
    live.promptProperty().set("Hello");
    live.maxTokensProperty().set(20);
    live.seedProperty().set(4);
    live.generate();
    await(live, () -> !live.runningProperty().get());
    String text = live.generatedTextProperty().get();
    List<String> liveLabels = labels(live);
    Path file = dir.resolve("hello.session.gz");
    live.session().saveSession(file);
    await(live, () -> live.statusProperty().get().startsWith("Saved the session"));
    SessionFile saved = SessionFile.read(file);
    assertEquals(20, saved.tokens().size());
    assertEquals(ModelIdentity.weightsHash(m), saved.header().model().weightsSha256());
    assertEquals("switch", saved.header().model().family());

    // A workbench with no model at all.
    MainViewModel vm = new MainViewModel(service, List.of());
    vm.session().openSession(file);
    await(
        vm,
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 20);
    assertNull(vm.library().modelProperty().get());
    assertEquals(text, vm.generatedTextProperty().get());
    assertEquals(liveLabels, labels(vm));
    assertEquals(2, vm.shown().layerCountProperty().get());
    assertEquals(4, vm.shown().routeKeyCount(), "4 experts");
    assertEquals(128, vm.shown().context());
    assertEquals(5 + 20, vm.stream().contextLength());
    assertEquals(20, vm.session().timelineProperty().get());
    assertEquals("Hello", vm.promptProperty().get(), "the fields say what it ran with");
    assertEquals(20, vm.maxTokensProperty().get());
    assertEquals(4, vm.seedProperty().get());
    assertTrue(vm.shown().infoProperty().get().contains("session hello.session.gz"));
    // Each token's routing is the live decode's.
    for (int i = 0; i < 20; i++) {
      assertEquals(
          live.history().tokens().get(i).routeKey(1),
          vm.history().tokens().get(i).routeKey(1),
          "token " + i);
    }

    // Back to token 7: every view's lists hold the first 7 tokens only.
    vm.session().timelineProperty().set(7);
    await(vm, () -> vm.history().tokens().size() == 7);
    vm.refresh();
    assertEquals(7, vm.history().window().size());
    assertEquals(liveLabels.subList(0, 7), labels(vm));
    assertEquals(5 + 7, vm.stream().contextLength());
    assertTrue(text.startsWith(vm.generatedTextProperty().get()));
    assertNotNull(vm.history().window().getLast().attention(), "the newest token's full rows");
    // And forward again, one token at a time.
    for (int k = 8; k <= 20; k++) {
      vm.session().timelineProperty().set(k);
      final int want = k;
      await(vm, () -> vm.history().tokens().size() == want);
    }
    assertEquals(text, vm.generatedTextProperty().get());

    // Closing it leaves nothing of it behind.
    vm.session().closeSession();
    vm.refresh();
    assertEquals(0, vm.history().tokens().size());
    assertEquals("no model loaded", vm.shown().infoProperty().get());
  }

  @Test
  void runAgainReproducesTheSessionOrSaysWhereItDiffers() throws Exception {
    Path m = model(dir, "topk", ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 128, 4, 2, 1.25));
    // The same model with one weight changed: another weights hash.
    Path other = Files.createDirectories(dir.resolve("topk-other"));
    Files.copy(m.resolve("config.json"), other.resolve("config.json"));
    byte[] weights = Files.readAllBytes(m.resolve("model.safetensors"));
    weights[weights.length - 1] ^= 0x01; // the last byte of the last float: a tiny change
    Files.write(other.resolve("model.safetensors"), weights);
    MainViewModel vm = new MainViewModel(service, List.of(m, other));
    await(vm, () -> vm.library().modelProperty().get() != null);
    vm.promptProperty().set("abc");
    vm.maxTokensProperty().set(15);
    vm.seedProperty().set(9);
    vm.temperatureProperty().set(0); // greedy: the weights decide (near-uniform tiny models)
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    Path file = dir.resolve("topk.session.gz");
    vm.session().saveSession(file);
    await(vm, () -> vm.statusProperty().get().startsWith("Saved the session"));
    vm.promptProperty().set("something else"); // the session puts its own back
    vm.temperatureProperty().set(1.5);
    vm.session().openSession(file);
    await(
        vm,
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 15);
    vm.session().runAgain();
    await(vm, () -> vm.statusProperty().get().startsWith("Run again"));
    assertEquals(
        "Run again: reproduced the session, the same 15 tokens and routing",
        vm.statusProperty().get());
    assertNull(vm.session().shownSessionProperty().get(), "the live decode replaced it");
    // Another model (same shapes, other random weights): it says where and why.
    vm.session().openSession(file);
    await(
        vm,
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 15);
    vm.library().selectedModelProperty().set(other);
    vm.library().loadSelected();
    await(
        vm,
        () ->
            other.equals(vm.library().loadedModelProperty().get())
                && !vm.library().loadingProperty().get());
    vm.session().openSession(file); // loading a model closed the session
    await(
        vm,
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 15);
    vm.session().runAgain();
    await(vm, () -> vm.statusProperty().get().startsWith("Run again"));
    String said = vm.statusProperty().get();
    // (Tiny random models greedily repeat their input whatever the weights: tokens may agree.)
    assertTrue(said.contains("another weights hash"), said);
  }

  @Test
  void theComparisonNamesTheFirstTokenOrRouteThatDiffers() {
    ModelIdentity id =
        new ModelIdentity("m", "switch", true, new com.google.gson.JsonObject(), "abc");
    SessionFile s =
        SessionFile.of(
            new SessionFile.Header(1, MainViewModel.PROGRAM, id),
            records(new int[] {98, 99, 100}, new int[] {0, 1, 2}));
    assertEquals(
        "Run again: reproduced the session, the same 3 tokens and routing",
        SessionViewModel.compareWithSession(
            s, records(new int[] {98, 99, 100}, new int[] {0, 1, 2}), "abc"));
    assertEquals(
        "Run again: differs from the session at token 1 ('c' there, 'x' now); the loaded"
            + " model's weights are not the session's (another weights hash)",
        SessionViewModel.compareWithSession(
            s, records(new int[] {98, 120, 100}, new int[] {0, 1, 2}), "def"));
    assertEquals(
        "Run again: the same token 2, but its routing differs (layer 0: experts [2] there, [3]"
            + " now)",
        SessionViewModel.compareWithSession(
            s, records(new int[] {98, 99, 100}, new int[] {0, 1, 3}), "abc"));
  }

  /** A decode's records by hand: one layer, one expert per token. */
  private static List<Records.Record> records(int[] tokens, int[] experts) {
    List<Records.Record> out = new java.util.ArrayList<>();
    out.add(new Records.Prefill(1, new int[] {97}, new String[] {"a"}, 1.0, null, null));
    for (int i = 0; i < tokens.length; i++) {
      Records.TokenRouter router =
          new Records.TokenRouter(null, new int[] {experts[i]}, new float[] {1f}, 0.0);
      Records.TokenLayer layer =
          new Records.TokenLayer(0, null, router, null, null, new Records.Timing(1, 1.0, 1, null));
      out.add(
          new Records.Token(
              i, 1 + i, tokens[i], String.valueOf((char) tokens[i]), null, 1.0, List.of(layer)));
    }
    out.add(new Records.End("max_tokens", tokens.length, 1, 1, ""));
    return out;
  }

  @Test
  void aBrokenSessionShowsItsErrorAndChangesNothing() throws Exception {
    Path m = model(dir, "dense", ModelConfig.dense(16, 1, 2, 32, 64));
    MainViewModel live = new MainViewModel(service, List.of(m));
    await(live, () -> live.library().modelProperty().get() != null);
    live.maxTokensProperty().set(6);
    live.generate();
    await(live, () -> !live.runningProperty().get());
    Path file = dir.resolve("good.session.gz");
    live.session().saveSession(file);
    await(live, () -> live.statusProperty().get().startsWith("Saved the session"));
    byte[] bytes = Files.readAllBytes(file);
    Path cut = Files.write(dir.resolve("cut.session.gz"), java.util.Arrays.copyOf(bytes, 40));
    List<String> before = labels(live);
    live.session().openSession(cut);
    await(live, () -> live.errorProperty().get() != null);
    assertTrue(live.errorProperty().get().contains("cut.session.gz"), live.errorProperty().get());
    assertNull(live.session().shownSessionProperty().get());
    assertEquals(before, labels(live), "the decode shown stays");
    assertTrue(live.shown().infoProperty().get().startsWith("dense ·"));
  }

  @Test
  void nothingToSaveBeforeADecode() throws Exception {
    MainViewModel vm = new MainViewModel(service, List.of());
    vm.session().saveSession(dir.resolve("x.session.gz"));
    assertEquals("Nothing to save: decode first", vm.errorProperty().get());
    assertTrue(Files.notExists(dir.resolve("x.session.gz")));
  }
}
