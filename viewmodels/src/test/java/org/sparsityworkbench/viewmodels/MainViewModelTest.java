package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.model.TransformerModel;

/** The view model without any JavaFX toolkit: properties only, refresh() called by hand. */
class MainViewModelTest {
  @TempDir Path dir;
  DecodeService service = new DecodeService();

  @AfterEach
  void close() {
    service.close();
  }

  static Path model(Path dir, String name, ModelConfig c) throws Exception {
    Engines.pytorch();
    Path out = dir.resolve(name);
    try (NDManager m = NDManager.newBaseManager();
        TransformerModel t = TransformerModel.random(c, 1, m)) {
      t.save(out, Map.of());
    }
    return out;
  }

  static void await(MainViewModel vm, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out; status: " + vm.statusProperty().get());
      }
      Thread.sleep(5);
      vm.refresh();
    }
  }

  @Test
  void loadsTheFirstModelAndStreamsDecodedTokensWithRouting() throws Exception {
    Path m = model(dir, "switch", ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 128, 4, 1, 1.25));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    assertFalse(vm.canGenerateBinding().get(), "nothing loaded yet");
    await(vm, () -> vm.library().modelProperty().get() != null);
    assertTrue(vm.shown().infoProperty().get().contains("switch"), vm.shown().infoProperty().get());
    assertTrue(vm.engineInfoProperty().get().contains("PyTorch"));
    assertTrue(vm.canGenerateBinding().get());

    vm.promptProperty().set("Hello");
    vm.maxTokensProperty().set(12);
    vm.generate();
    assertTrue(vm.runningProperty().get());
    assertFalse(vm.canGenerateBinding().get(), "no second decode while one runs");
    await(vm, () -> !vm.runningProperty().get());
    assertEquals(12, vm.tokenCountProperty().get());
    assertFalse(vm.generatedTextProperty().get().isEmpty());
    assertTrue(
        vm.routing().routingProperty().get().matches("L0 → e\\d \\(\\d\\.\\d\\d\\).*L1 → e\\d.*"),
        vm.routing().routingProperty().get());
    assertTrue(vm.tokensPerSecondProperty().get() > 0);
    assertTrue(
        vm.lastWallTokensPerSecond() > 0
            && vm.lastWallTokensPerSecond() <= vm.tokensPerSecondProperty().get() * 1.0001,
        "wall time includes the step time: "
            + vm.lastWallTokensPerSecond()
            + " vs "
            + vm.tokensPerSecondProperty().get());
    assertEquals(12, vm.history().window().size());
    assertTrue(
        vm.routing().prefillRoutingProperty().get().startsWith("Prompt: capacity 2 per expert"),
        vm.routing().prefillRoutingProperty().get()); // ceil(1.25 * 5 * 1 / 4) = 2
    TokenSnapshot last = vm.history().window().getLast();
    // The stream: every position has its text and its route in the chosen layer.
    assertEquals(5 + 12, vm.stream().contextLength());
    assertEquals(5, vm.stream().promptLength());
    assertEquals("H", vm.stream().textAt(0));
    assertEquals(last.text(), vm.stream().textAt(16));
    assertSame(last, vm.stream().tokenAt(16));
    assertNull(vm.stream().tokenAt(4), "prompt positions have no token record");
    int promptExpert =
        vm.history().prefillProperty().get().layers().get(1).router().experts()[2][0];
    assertEquals(promptExpert, vm.stream().routeKeyAt(2, 1), "prompt positions: prefill routing");
    assertEquals(last.experts()[1][0], vm.stream().routeKeyAt(16, 1));
    assertEquals(-1, vm.stream().routeKeyAt(17, 1), "beyond the context");
    assertEquals(4, vm.shown().routeKeyCount());
    assertEquals("switch", vm.shown().familyProperty().get());
    assertEquals(2, vm.shown().layerCountProperty().get());
    // Details: the newest token until one is inspected, then that one.
    assertTrue(vm.stream().tokenDetailsProperty().get().startsWith("Newest token · "));
    assertTrue(
        vm.stream().tokenDetailsProperty().get().contains("step 11"),
        vm.stream().tokenDetailsProperty().get());
    vm.stream().inspectedProperty().set(vm.history().tokens().get(3));
    String details = vm.stream().tokenDetailsProperty().get();
    assertTrue(details.startsWith("Hovered token · "), details);
    assertTrue(details.contains("step 3 · position 8"), details);
    assertTrue(details.contains("next token:"), details);
    assertTrue(
        details.matches("(?s).*L0: e\\d \\(gate \\d\\.\\d\\d\\) · entropy .*L1: e.*"), details);
    vm.stream().inspectedProperty().set(null);
    assertTrue(vm.stream().tokenDetailsProperty().get().startsWith("Newest token · "));
    assertEquals(2, last.probs().length, "two layers");
    assertEquals(4, last.probs()[0].length, "four experts");
    assertEquals(1, last.experts()[1].length, "top-1");
    assertTrue(vm.statusProperty().get().startsWith("Done: 12 tokens"), vm.statusProperty().get());
    Path jsonl = dir.resolve("t.jsonl");
    vm.exportJsonl(jsonl).join();
    List<String> lines = Files.readAllLines(jsonl);
    assertEquals(14, lines.size(), "prefill, 12 tokens, end");
    assertTrue(lines.get(1).startsWith("{\"type\":\"token\",\"step\":0"), lines.get(1));
    Path csv = dir.resolve("t.csv");
    vm.exportCsv(csv).join();
    List<String> rows = Files.readAllLines(csv);
    assertEquals(1 + 12 * 2, rows.size(), "header + a row per token and layer");
    assertTrue(rows.get(1).startsWith("0,5,"), rows.get(1));
  }

  @Test
  void aBadModelDirectoryReportsTheEnginesErrorAndKeepsThePreviousModel() throws Exception {
    Path good = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 64));
    Path bad = dir.resolve("broken");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve("config.json"), "{\"family\": \"dense\"}");
    Files.write(bad.resolve("model.safetensors"), new byte[] {1, 2, 3});
    MainViewModel vm = new MainViewModel(service, List.of(good, bad));
    await(vm, () -> vm.library().modelProperty().get() != null);
    var loaded = vm.library().modelProperty().get();

    vm.library().selectedModelProperty().set(bad);
    vm.library().loadSelected();
    await(vm, () -> vm.errorProperty().get() != null);
    String error = vm.errorProperty().get();
    assertTrue(error.contains("config.json") && error.contains("vocab_size"), error);
    assertSame(loaded, vm.library().modelProperty().get(), "the previous model stays");
    assertTrue(vm.canGenerateBinding().get());
    vm.acknowledgeError();
    assertNull(vm.errorProperty().get());
  }

  @Test
  void stopCancelsBetweenTokens() throws Exception {
    Path m = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 2048));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    await(vm, () -> vm.library().modelProperty().get() != null);
    vm.maxTokensProperty().set(2000);
    vm.generate();
    await(vm, () -> vm.tokenCountProperty().get() > 0);
    vm.stop();
    await(vm, () -> !vm.runningProperty().get());
    assertTrue(vm.tokenCountProperty().get() < 2000);
    assertNotNull(vm.statusProperty().get());
    assertTrue(vm.statusProperty().get().contains("cancelled"), vm.statusProperty().get());
  }

  @Test
  void compareRunsTwoModelsSideBySide() throws Exception {
    Path a = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 128));
    Path b = model(dir, "topk", ModelConfig.moe(Family.TOPK, 32, 1, 4, 64, 128, 4, 2, 1.25));
    MainViewModel vm = new MainViewModel(service, List.of(a, b));
    await(vm, () -> vm.library().modelProperty().get() != null);
    CompareViewModel c = vm.compare();
    assertEquals(b, c.modelBProperty().get(), "B defaults to the other model");
    vm.maxTokensProperty().set(15);
    c.compare();
    await(vm, () -> !c.runningProperty().get());
    assertEquals(15, c.klHistory().size());
    assertTrue(c.klHistory().stream().allMatch(k -> k > 0), "different models differ");
    assertFalse(c.textAProperty().get().isEmpty());
    assertFalse(c.textBProperty().get().isEmpty());
    assertTrue(c.summaryProperty().get().startsWith("15 steps"), c.summaryProperty().get());
    assertEquals(15, c.latencyA().size());
    assertEquals(15, c.latencyB().size());
    assertTrue(c.latencyA().stream().allMatch(us -> us > 0));
  }

  @Test
  void compareDefaultsToDenseAgainstTheSparsestModel() throws Exception {
    Path dense = model(dir, "a-dense", ModelConfig.dense(32, 1, 4, 64, 64));
    Path sw = model(dir, "b-switch", ModelConfig.moe(Family.SWITCH, 32, 1, 4, 64, 64, 4, 1, 1.25));
    Path broken = dir.resolve("c-broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("config.json"), "{");
    Path ffqkv =
        model(
            dir, "d-sparse", ModelConfig.sparse(Family.SPARSE_FFQKV, 32, 1, 4, 64, 64, 8, 8, 4, 3));
    List<Path> all = List.of(dense, sw, broken, ffqkv);
    assertEquals(ffqkv, CompareViewModel.partner(all, dense), "dense A: the sparsest B");
    assertEquals(sw, CompareViewModel.partner(List.of(dense, broken, sw), dense));
    assertEquals(dense, CompareViewModel.partner(all, sw), "a routed A is compared with dense");
    assertEquals(dense, CompareViewModel.partner(all, ffqkv), "a sparse A is compared with dense");
    assertEquals(dense, CompareViewModel.partner(List.of(dense, broken), broken));
    assertNull(CompareViewModel.partner(List.of(dense), dense), "nothing to compare with");
  }

  @Test
  void theRoutingWindowKeepsTheNewestTokensWithOneChangePerRefresh() throws Exception {
    Path m = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 1024));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    await(vm, () -> vm.library().modelProperty().get() != null);
    int[] changes = {0};
    vm.history()
        .window()
        .addListener((javafx.collections.ListChangeListener<TokenSnapshot>) c -> changes[0]++);
    vm.maxTokensProperty().set(MainViewModel.HISTORY + 100);
    vm.generate();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (vm.runningProperty().get() && System.nanoTime() < deadline) {
      Thread.sleep(3);
      long before = changes[0];
      vm.refresh();
      assertTrue(changes[0] - before <= 1, "one change per refresh");
    }
    assertEquals(MainViewModel.HISTORY + 100, vm.history().tokens().size());
    assertEquals(MainViewModel.HISTORY, vm.history().window().size());
    assertSame(vm.history().tokens().getLast(), vm.history().window().getLast());
    assertSame(vm.history().tokens().get(100), vm.history().window().getFirst());
  }

  @Test
  void aDecodeKeepsItsModelAndLoadingAnotherClearsWhatWasShown() throws Exception {
    Path sw = model(dir, "switch", ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 512, 4, 1, 1.25));
    Path dense = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 64));
    MainViewModel vm = new MainViewModel(service, List.of(sw, dense));
    await(vm, () -> vm.library().modelProperty().get() != null);
    var routed = vm.library().modelProperty().get();
    vm.maxTokensProperty().set(400);
    vm.step(); // held after one token: still running
    await(vm, () -> vm.tokenCountProperty().get() == 1);
    vm.library().selectedModelProperty().set(dense);
    vm.library().loadSelected();
    assertFalse(vm.library().loadingProperty().get(), "no load while a decode runs");
    vm.stop();
    await(vm, () -> !vm.runningProperty().get());
    assertEquals(4, vm.shown().routeKeyCount());
    assertTrue(vm.stream().contextLength() > 0);
    vm.shown().colourLayerProperty().set(1);
    vm.library().loadSelected();
    await(vm, () -> vm.library().modelProperty().get() != routed);
    assertEquals(0, vm.stream().contextLength(), "the old decode belonged to the old model");
    assertTrue(vm.history().tokens().isEmpty() && vm.history().window().isEmpty());
    assertEquals(0, vm.shown().routeKeyCount(), "dense: nothing to colour by");
    assertEquals(
        0, vm.shown().colourLayerProperty().get(), "layer 1 does not exist in a 1-layer model");
  }

  @Test
  void stepAdvancesOneTokenAtATimeAndPauseResumes() throws Exception {
    Path m = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 128));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    await(vm, () -> vm.library().modelProperty().get() != null);
    vm.maxTokensProperty().set(30);
    vm.step();
    await(vm, () -> vm.tokenCountProperty().get() == 1);
    assertTrue(vm.pausedProperty().get());
    Thread.sleep(100);
    vm.refresh();
    assertEquals(1, vm.tokenCountProperty().get(), "held after one step");
    vm.step();
    await(vm, () -> vm.tokenCountProperty().get() == 2);
    vm.togglePause();
    assertFalse(vm.pausedProperty().get());
    await(vm, () -> !vm.runningProperty().get());
    assertEquals(30, vm.tokenCountProperty().get());
  }

  @Test
  void aSleepingSamplerIsWokenOnceByTheNextNewsAndNotWhileNewsWaits() throws Exception {
    Path m = model(dir, "dense", ModelConfig.dense(32, 2, 4, 64, 128));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    java.util.concurrent.atomic.AtomicInteger wakes =
        new java.util.concurrent.atomic.AtomicInteger();
    vm.setWakeUp(wakes::incrementAndGet);
    await(vm, () -> vm.library().modelProperty().get() != null);
    assertFalse(vm.hasNews());
    assertTrue(vm.sleep(), "nothing pending: may sleep");

    vm.maxTokensProperty().set(20);
    vm.generate();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (vm.runningProperty().get() && !vm.hasNews()) {
      assertTrue(System.nanoTime() < deadline, "no news from the decode");
      Thread.sleep(1);
    }
    Thread.sleep(1000); // the 20 tokens arrive (milliseconds on this model): still one wake-up
    assertEquals(1, wakes.get(), "the first event rings, the others do not");
    assertTrue(vm.hasNews());
    assertFalse(vm.sleep(), "news waiting: stay awake");
    await(vm, () -> !vm.runningProperty().get());
    assertEquals(1, wakes.get(), "awake: no more rings");
    assertEquals(20, vm.tokenCountProperty().get());
  }

  @Test
  void attentionIsKeptOnlyForTheWindowSoRetainedDataPerTokenIsBounded() throws Exception {
    Path m = model(dir, "dense-1k", ModelConfig.dense(16, 2, 2, 32, 1024));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    await(vm, () -> vm.library().modelProperty().get() != null);
    vm.promptProperty().set("Hi");
    int n = MainViewModel.HISTORY + 100;
    vm.maxTokensProperty().set(n);
    long[] retainedAt = new long[2];
    vm.generate();
    await(
        vm,
        () -> {
          if (vm.tokenCountProperty().get() >= n / 2 && retainedAt[0] == 0) {
            retainedAt[0] = vm.retainedAttentionFloats();
          }
          return !vm.runningProperty().get();
        });
    assertEquals(n, vm.history().tokens().size());
    retainedAt[1] = vm.retainedAttentionFloats();
    // What the attention views draw: the window's tokens' reduced rows, full rows for the newest
    // FULL_ROWS only, nothing older.
    long window = 0;
    List<TokenSnapshot> w = vm.history().window();
    for (int i = 0; i < w.size(); i++) {
      TokenSnapshot t = w.get(i);
      assertNotNull(t.attentionRows(), "window tokens keep their reduced rows");
      window += t.attentionRows().floats();
      if (i >= w.size() - MainViewModel.FULL_ROWS) {
        assertNotNull(t.attention(), "the newest tokens keep their full rows");
        for (float[][] layer : t.attention()) {
          for (float[] head : layer) {
            window += head.length;
          }
        }
      } else {
        assertNull(t.attention(), "older window tokens keep only the reduction");
      }
    }
    assertEquals(window, retainedAt[1], "only the window's attention rows are retained");
    // Per window token at most layers x heads x BLOCKS floats (this context is shorter than
    // BLOCKS positions: rows are kept whole), however long the decode, plus full rows for the
    // newest few.
    assertTrue(
        retainedAt[1] <= (long) (MainViewModel.HISTORY + MainViewModel.FULL_ROWS) * 2 * 2 * 1024,
        "" + retainedAt[1]);
    assertNull(w.getFirst().attention());
    assertNull(
        vm.history().tokens().getFirst().attentionRows(), "a token that left the window has none");
    assertNull(
        vm.history().tokens().getFirst().attention(), "a token that left the window has no rows");
    assertNull(
        vm.history().tokens().getFirst().record().layers().getFirst().attention(),
        "nor does its record");
    assertSame(
        vm.history().window().getLast(), vm.stream().tokenAt(vm.stream().contextLength() - 1));
    // The export writes attention where it is kept, and says so.
    Path jsonl = dir.resolve("long.jsonl");
    vm.exportJsonl(jsonl).join();
    List<String> lines = Files.readAllLines(jsonl);
    assertEquals(n + 2, lines.size());
    assertFalse(lines.get(1).contains("\"attention\":{\"heads\""), "step 0 left the window");
    assertTrue(
        lines.get(n).contains("\"attention\":{\"heads\""), "the newest token is in the window");
  }

  @Test
  void aLongContextsWindowKeepsReducedRowsNotFullOnes() throws Exception {
    // Rows of ~3,000 positions: the window's tokens keep a tail and block maxima (AttentionRows),
    // not their full rows, which grew with the context (issue 11, item 20).
    Path m = model(dir, "dense-4k", ModelConfig.dense(16, 2, 2, 32, 4096));
    MainViewModel vm = new MainViewModel(service, List.of(m));
    await(vm, () -> vm.library().modelProperty().get() != null);
    vm.promptProperty().set("x".repeat(3000));
    int n = 200;
    vm.maxTokensProperty().set(n);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    assertEquals(n, vm.history().window().size());
    long perRow = AttentionRows.TAIL + (3 * AttentionRows.BLOCKS + 1) / 2;
    long bound = (long) n * 2 * 2 * perRow + (long) MainViewModel.FULL_ROWS * 2 * 2 * 3200;
    long retained = vm.retainedAttentionFloats();
    assertTrue(retained <= bound, retained + " floats retained, bound " + bound);
    AttentionRows oldest = vm.history().window().getFirst().attentionRows();
    assertEquals(4, oldest.block(), "3,000 positions in blocks of 4");
    assertEquals(3001, oldest.length(), "step 0 sits at position 3,000");
  }

  static List<String> csvFields(String line) {
    List<String> out = new java.util.ArrayList<>();
    StringBuilder b = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
        b.append('"');
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        out.add(b.toString());
        b.setLength(0);
      } else {
        b.append(c);
      }
    }
    out.add(b.toString());
    return out;
  }

  Map<String, String> exportedRow(MainViewModel vm, int row) throws Exception {
    Path csv = dir.resolve("row.csv");
    vm.exportCsv(csv).join();
    // Records, not lines: a quoted field may hold a newline (RFC 4180).
    List<String> rows = new java.util.ArrayList<>();
    StringBuilder record = new StringBuilder();
    for (String line : Files.readAllLines(csv)) {
      record.append(record.isEmpty() ? "" : "\n").append(line);
      if (record.chars().filter(c -> c == '"').count() % 2 == 0) {
        rows.add(record.toString());
        record.setLength(0);
      }
    }
    List<String> header = csvFields(rows.getFirst());
    List<String> values = csvFields(rows.get(row));
    assertEquals(header.size(), values.size(), rows.get(row));
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < header.size(); i++) {
      m.put(header.get(i), values.get(i));
    }
    return m;
  }

  MainViewModel decoded(Path model, String prompt) throws Exception {
    MainViewModel vm = new MainViewModel(service, List.of(model));
    await(vm, () -> vm.library().modelProperty().get() != null);
    vm.promptProperty().set(prompt);
    vm.maxTokensProperty().set(6);
    vm.seedProperty().set(7);
    vm.temperatureProperty().set(0.5);
    vm.generate();
    await(vm, () -> !vm.runningProperty().get());
    return vm;
  }

  @Test
  void csvCarriesControllerUnitsQkvModulesProbabilitiesEntropyAndTheRun() throws Exception {
    Path sparse =
        model(dir, "ffqkv", ModelConfig.sparse(Family.SPARSE_FFQKV, 32, 2, 4, 64, 64, 8, 8, 4, 3));
    MainViewModel vm = decoded(sparse, "say \"hi\", then\nstop");
    Map<String, String> row = exportedRow(vm, 1);
    assertEquals("0", row.get("step"));
    assertEquals(8, row.get("controller_units").split(",").length, row.toString());
    assertEquals(8, row.get("controller_confidence").split(",").length, row.toString());
    assertEquals(4, row.get("qkv_modules").split(",").length, row.toString());
    assertFalse(row.get("controller_us").isEmpty(), row.toString());
    assertEquals(sparse.toString(), row.get("model"));
    assertEquals("sparse-ffqkv", row.get("family"));
    assertEquals("say \"hi\", then\nstop", row.get("prompt"));
    assertEquals("7", row.get("seed"));
    assertEquals("0.5", row.get("temperature"));
    assertEquals("0", row.get("top_k"));
    assertEquals("1.0", row.get("top_p"));

    Path sw = model(dir, "switch", ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 64, 4, 1, 1.25));
    MainViewModel moe = decoded(sw, "Hello");
    Map<String, String> r = exportedRow(moe, 2);
    assertEquals(4, r.get("router_probs").split(",").length, r.toString());
    double entropy = Double.parseDouble(r.get("entropy"));
    assertTrue(entropy >= 0 && entropy <= Math.log(4) + 1e-6, r.toString());
    assertEquals("", r.get("controller_units"));
  }

  @Test
  void jsonlCarriesTheModelPromptSeedAndSamplingInThePrefill() throws Exception {
    Path m = model(dir, "dense", ModelConfig.dense(32, 1, 4, 64, 64));
    MainViewModel vm = decoded(m, "Hi");
    Path jsonl = dir.resolve("s.jsonl");
    vm.exportJsonl(jsonl).join();
    com.google.gson.JsonObject prefill =
        com.google.gson.JsonParser.parseString(Files.readAllLines(jsonl).getFirst())
            .getAsJsonObject();
    assertEquals("prefill", prefill.get("type").getAsString());
    com.google.gson.JsonObject run = prefill.getAsJsonObject("session");
    assertNotNull(run, prefill.toString());
    assertEquals(m.toString(), run.get("model").getAsString());
    assertEquals("dense", run.get("family").getAsString());
    assertEquals("Hi", run.get("prompt").getAsString());
    assertEquals(7, run.get("seed").getAsLong());
    assertEquals(0.5, run.get("temperature").getAsDouble());
    assertEquals(0, run.get("top_k").getAsInt());
    assertEquals(1.0, run.get("top_p").getAsDouble());
    assertEquals(6, run.get("max_tokens").getAsInt());
    assertEquals("full", run.get("telemetry").getAsString());
    assertEquals(MainViewModel.FULL_ROWS, run.get("attention_window").getAsInt());
  }
}
