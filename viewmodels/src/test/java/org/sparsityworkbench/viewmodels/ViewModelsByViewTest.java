package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The view models of the single views (model library, shown model, token stream, routing,
 * controller masks, attention, logit lens) on the {@link ScriptedEngine}: each shows the decode of
 * the model it names, and what belongs to another model or session leaves when that one goes.
 */
@Tag("no-pytorch")
class ViewModelsByViewTest {
  @TempDir Path dir;
  final ScriptedEngine engine = new ScriptedEngine();

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

  MainViewModel loaded(Path... models) throws InterruptedException {
    MainViewModel vm = new MainViewModel(engine, List.of(models));
    EngineFreeViewModelTest.await(
        vm,
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    return vm;
  }

  void decode(MainViewModel vm, String prompt, int tokens) throws InterruptedException {
    vm.promptProperty().set(prompt);
    vm.maxTokensProperty().set(tokens);
    vm.generate();
    EngineFreeViewModelTest.await(vm, () -> !vm.runningProperty().get());
  }

  @Test
  void theRoutingLinesFollowTheDecodeAndLeaveWithTheModel() throws Exception {
    Path a = switchModel("a", 2, 4, 256);
    Path b = switchModel("b", 3, 8, 128);
    MainViewModel vm = loaded(a, b);
    RoutingViewModel routing = vm.routing();
    decode(vm, "Hi", 6);
    // The scripted engine routes byte c in layer l to expert (c + l) mod E.
    char last = ScriptedEngine.TEXT.charAt(5);
    assertTrue(
        routing.routingProperty().get().startsWith("L0 → e" + last % 4 + " "),
        routing.routingProperty().get());
    assertTrue(
        routing.routingProperty().get().contains("L1 → e" + (last + 1) % 4 + " "),
        routing.routingProperty().get());
    assertTrue(
        routing.prefillRoutingProperty().get().startsWith("Prompt: capacity"),
        routing.prefillRoutingProperty().get());
    assertEquals(6, routing.window().size());

    vm.library().selectedModelProperty().set(b);
    vm.library().loadSelected();
    EngineFreeViewModelTest.await(vm, () -> b.equals(vm.library().loadedModelProperty().get()));
    assertEquals("", routing.routingProperty().get(), "the old model's routing left");
    assertEquals("", routing.prefillRoutingProperty().get());
    assertTrue(routing.window().isEmpty());
    assertSame(vm.shown(), routing.shown());
    assertEquals(3, routing.shown().layerCountProperty().get());
    assertEquals(8, routing.shown().routeKeyCount());
    assertEquals(128, vm.attention().context());
    assertTrue(vm.shown().infoProperty().get().startsWith("b · switch"));
  }

  @Test
  void theStreamDetailsNameThePositionPointedAt() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 4, 256));
    TokenStreamViewModel stream = vm.stream();
    decode(vm, "Hi", 5);
    assertEquals(7, stream.contextLength());
    assertEquals(2, stream.promptLength());
    assertEquals("i", stream.textAt(1));
    assertEquals(ScriptedEngine.TEXT.substring(0, 1), stream.textAt(2));

    stream.inspectPosition(1); // the prompt's 'i'
    assertNull(stream.inspectedProperty().get());
    assertEquals(1, stream.inspectedPromptProperty().get());
    String details = stream.tokenDetailsProperty().get();
    assertTrue(details.startsWith("Prompt token · 'i' · position 1"), details);
    assertTrue(details.contains("L0: e" + 'i' % 4), details);

    stream.inspectPosition(3); // the second decoded token
    assertSame(stream.tokens().get(1), stream.inspectedProperty().get());
    assertTrue(stream.tokenDetailsProperty().get().startsWith("Hovered token · "));

    stream.inspectPosition(-1);
    assertTrue(stream.tokenDetailsProperty().get().startsWith("Newest token · "));
  }

  @Test
  void aSessionIsShownWithItsOwnModelFactsAndTheLoadedModelComesBack() throws Exception {
    MainViewModel vm = loaded(switchModel("big", 2, 4, 256));
    decode(vm, "Go", 8);
    Path file = dir.resolve("run.session");
    vm.session().saveSession(file);
    EngineFreeViewModelTest.await(vm, () -> vm.statusProperty().get().startsWith("Saved"));

    MainViewModel other = loaded(switchModel("small", 1, 2, 64));
    other.shown().colourLayerProperty().set(0);
    other.session().openSession(file);
    EngineFreeViewModelTest.await(
        other, () -> other.session().shownSessionProperty().get() != null);
    ShownModel shown = other.shown();
    assertEquals(2, shown.layerCountProperty().get(), "the session's layers, not the loaded one's");
    assertEquals(4, shown.routeKeyCount());
    assertEquals(256, shown.context());
    assertTrue(shown.infoProperty().get().startsWith("session run.session · big"));
    assertEquals(8, other.controller().window().size());
    assertEquals(8, other.lens().tokens().size());

    other.session().closeSession();
    assertEquals(1, shown.layerCountProperty().get());
    assertEquals(2, shown.routeKeyCount());
    assertEquals(64, shown.context());
    assertTrue(shown.infoProperty().get().startsWith("small · switch"));
    assertTrue(other.lens().tokens().isEmpty(), "the session's tokens left with it");
  }

  @Test
  void theLensSwitchIsWhatTheNextDecodeRunsWith() throws Exception {
    MainViewModel vm = loaded(switchModel("s", 1, 2, 256));
    vm.lens().computeProperty().set(false);
    decode(vm, "Hi", 2);
    assertTrue(!engine.lastOptions.logitLens(), "the engine was asked for no lens");
    vm.lens().computeProperty().set(true);
    decode(vm, "Hi", 2);
    assertTrue(engine.lastOptions.logitLens());
  }
}
