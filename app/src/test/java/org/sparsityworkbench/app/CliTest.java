package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      int code = Cli.execute(args, o, e);
      return new Result(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  Path init(String family, String... extra) {
    return init(dir, family, extra);
  }

  /** A small random model of a family in dir/family, made by init-model. */
  static Path init(Path dir, String family, String... extra) {
    Path out = dir.resolve(family);
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "init-model",
                "--family",
                family,
                "--out",
                out.toString(),
                "--d-model",
                "32",
                "--layers",
                "2",
                "--heads",
                "4",
                "--d-ff",
                "64",
                "--context",
                "64",
                "--experts",
                "4",
                "--block-size",
                "8"));
    args.addAll(List.of(extra));
    Result r = run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return out;
  }

  @Test
  void cutContextKeepsTheFirstPositionsAndTheirText() {
    Path model = init("sparse-ffqkv");
    String[] greedy = {
      "decode",
      "--model",
      model.toString(),
      "--prompt",
      "Hi",
      "--max-tokens",
      "20",
      "--temperature",
      "0"
    };
    String before = run(greedy).out();
    Result bad = run("cut-context", "--model", model.toString(), "--context", "65");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("must be in 1..64, got 65"), bad.err());
    Result cut = run("cut-context", "--model", model.toString(), "--context", "32");
    assertEquals(0, cut.code(), cut.err());
    assertTrue(run("info", "--model", model.toString()).out().contains("context 32"));
    assertEquals(before, run(greedy).out(), "decodes within the kept positions are unchanged");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dense", "switch", "topk", "sparse-ff", "sparse-qkv", "sparse-ffqkv"})
  void decodeJsonlCarriesTheTelemetryContract(String family) {
    Path model = init(family);
    Result r =
        run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "Hello",
            "--max-tokens",
            "20",
            "--jsonl",
            "--seed",
            "3");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(22, lines.size(), "prefill + 20 tokens + end");
    JsonObject prefill = JsonParser.parseString(lines.getFirst()).getAsJsonObject();
    assertEquals("prefill", prefill.get("type").getAsString());
    assertEquals(5, prefill.get("tokens").getAsInt());
    assertTrue(prefill.has("latency_us") && prefill.has("top"));
    JsonObject run = prefill.getAsJsonObject("session");
    assertEquals(model.toString(), run.get("model").getAsString());
    assertEquals(family, run.get("family").getAsString());
    assertEquals("Hello", run.get("prompt").getAsString());
    assertEquals(3, run.get("seed").getAsLong());
    assertEquals(0.8, run.get("temperature").getAsDouble());
    assertEquals(0, run.get("top_k").getAsInt());
    assertEquals(1.0, run.get("top_p").getAsDouble());
    assertEquals(20, run.get("max_tokens").getAsInt());
    assertEquals("full", run.get("telemetry").getAsString());
    assertFalse(run.has("attention_window"), "the CLI writes every token's attention");
    boolean moe = family.equals("switch") || family.equals("topk");
    boolean sparseFf = family.equals("sparse-ff") || family.equals("sparse-ffqkv");
    boolean sparseQkv = family.equals("sparse-qkv") || family.equals("sparse-ffqkv");
    if (sparseFf) {
      JsonObject controller =
          prefill.getAsJsonArray("layers").get(0).getAsJsonObject().getAsJsonObject("controller");
      assertEquals(8, controller.get("block_size").getAsInt());
      assertEquals(5, controller.getAsJsonArray("chosen").size(), "one row per prompt token");
      assertEquals(8, controller.getAsJsonArray("chosen").get(0).getAsJsonArray().size());
    }
    if (moe) {
      JsonObject router =
          prefill.getAsJsonArray("layers").get(0).getAsJsonObject().getAsJsonObject("router");
      for (String f :
          List.of("probs", "experts", "load", "capacity", "dropped", "aux_loss", "z_loss")) {
        assertTrue(router.has(f), "prefill router field " + f);
      }
      assertEquals(5, router.getAsJsonArray("probs").size());
    }
    for (int s = 0; s < 20; s++) {
      JsonObject t = JsonParser.parseString(lines.get(1 + s)).getAsJsonObject();
      assertEquals("token", t.get("type").getAsString());
      assertEquals(s, t.get("step").getAsInt());
      assertEquals(5 + s, t.get("position").getAsInt());
      for (String f : List.of("token", "text", "top", "latency_us", "layers")) {
        assertTrue(t.has(f), "token field " + f);
      }
      JsonArray layers = t.getAsJsonArray("layers");
      assertEquals(2, layers.size());
      JsonObject l0 = layers.get(0).getAsJsonObject();
      JsonArray heads = l0.getAsJsonObject("attention").getAsJsonArray("heads");
      assertEquals(4, heads.size());
      JsonArray row = heads.get(0).getAsJsonArray();
      assertEquals(5 + s + 1, row.size(), "position + 1 weights");
      double sum = 0;
      for (var w : row) {
        sum += w.getAsDouble();
      }
      assertEquals(1.0, sum, 1e-4);
      assertTrue(l0.getAsJsonObject("timing_us").has("attention"));
      assertEquals(moe, l0.has("router"));
      assertEquals(sparseFf, l0.has("controller"));
      assertEquals(sparseQkv, l0.has("qkv"));
      if (sparseFf) {
        JsonObject controller = l0.getAsJsonObject("controller");
        assertEquals(8, controller.getAsJsonArray("chosen").size(), "64 units in blocks of 8");
        assertEquals(8, controller.getAsJsonArray("confidence").size());
        assertTrue(l0.getAsJsonObject("timing_us").has("controller"));
      }
      if (sparseQkv) {
        assertEquals(4, l0.getAsJsonObject("qkv").getAsJsonArray("modules").size());
      }
      if (moe) {
        JsonObject router = l0.getAsJsonObject("router");
        assertEquals(4, router.getAsJsonArray("probs").size());
        int k = family.equals("topk") ? 2 : 1;
        assertEquals(k, router.getAsJsonArray("experts").size());
        assertEquals(k, router.getAsJsonArray("weights").size());
      }
    }
    JsonObject end = JsonParser.parseString(lines.getLast()).getAsJsonObject();
    assertEquals("end", end.get("type").getAsString());
    assertEquals(20, end.get("generated").getAsInt());
  }

  @Test
  void infoReportsParametersAndFlops() {
    Path model = init("topk", "--top-k", "2");
    Result r = run("info", "--model", model.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    long total = o.get("params_total").getAsLong();
    long active = o.get("params_active_per_token").getAsLong();
    assertTrue(active < total, "2 of 4 experts are active");
    // 2 layers x 2 unused experts x (2 x 64 x 32) weights each.
    assertEquals(2L * 2 * 2 * 64 * 32, total - active - 63L * 32, "positions count one row");
    assertTrue(
        o.get("flops_per_token_last").getAsLong() > o.get("flops_per_token_first").getAsLong());
  }

  @Test
  void usageErrorsExitTwoAndFailuresExitOneWithOneLine() throws Exception {
    Result missing = run("decode", "--prompt", "x");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("Missing required option"), missing.err());

    Result badTemp =
        run("decode", "--model", "m", "--prompt", "x", "--max-tokens", "1", "--temperature", "-1");
    assertEquals(2, badTemp.code());
    assertTrue(badTemp.err().contains("temperature"), badTemp.err());

    Path broken = dir.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("config.json"), "{\"family\": \"dense\", \"d_model\": 12}");
    Files.write(broken.resolve("model.safetensors"), new byte[4]);
    Result bad = run("decode", "--model", broken.toString(), "--prompt", "x", "--max-tokens", "1");
    assertEquals(1, bad.code());
    assertEquals(1, bad.err().lines().count(), bad.err());
    assertTrue(bad.err().startsWith("error: ") && bad.err().contains("config.json"), bad.err());

    Path model = init("dense");
    Result empty = run("decode", "--model", model.toString(), "--prompt", "", "--max-tokens", "1");
    assertEquals(1, empty.code());
    assertTrue(empty.err().contains("prompt is empty"), empty.err());

    Result again = run("init-model", "--family", "dense", "--out", model.toString());
    assertEquals(1, again.code());
    assertTrue(again.err().contains("--force"), again.err());
    assertFalse(again.err().contains("Exception"), again.err());
  }

  @Test
  void zeroBlockSizeIsAUsageErrorNotADivisionByZero() {
    Result r =
        run(
            "init-model",
            "--family",
            "sparse-ff",
            "--out",
            dir.resolve("z").toString(),
            "--block-size",
            "0");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--block-size"), r.err());
    assertFalse(r.err().contains("by zero"), r.err());
    assertTrue(r.err().contains("Usage:"), "usage follows a usage error: " + r.err());
  }

  @Test
  void outNamingAFileSaysWhatIsWrong() throws Exception {
    Path file = dir.resolve("a-file");
    Files.writeString(file, "not a directory");
    Result r = run("init-model", "--family", "dense", "--out", file.toString());
    assertEquals(1, r.code(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("error: "), r.err());
    assertTrue(r.err().contains("is a file"), r.err());
    assertTrue(r.err().strip().length() > ("error: " + file).length(), r.err());
  }

  @Test
  void unknownTelemetryLevelNamesTheChoices() {
    Path model = init("dense");
    Result r =
        run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "x",
            "--max-tokens",
            "1",
            "--telemetry",
            "bogus");
    assertEquals(2, r.code(), r.err());
    assertFalse(r.err().contains("No enum constant"), r.err());
    assertTrue(r.err().contains("off, summary or full"), r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"screenshot", "bench-gui"})
  void guiCommandsHaveHelpAndAreListed(String command) {
    Result help = run(command, "--help");
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().contains("Usage: workbench " + command), help.out());
    Result all = run("--help");
    assertEquals(0, all.code(), all.err());
    assertTrue(all.out().contains("  " + command + " "), all.out());
    Result bad = run(command, "--bogus");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("Usage: workbench " + command), bad.err());
  }

  @Test
  void initModelAndTrainHelpShowDefaults() {
    String init = run("init-model", "--help").out();
    assertTrue(init.matches("(?s).*--d-model=<dModel>[^\\n]*\\n?[^\\n]*Default: 128.*"), init);
    assertTrue(init.matches("(?s).*--context=<context>[^\\n]*\\n?[^\\n]*Default: 256.*"), init);
    assertTrue(init.matches("(?s).*--seed=<seed>[^\\n]*\\n?[^\\n]*Default: 0.*"), init);
    String train = run("train", "--help").out();
    assertTrue(train.matches("(?s).*--batch=<batch>[^\\n]*\\n?[^\\n]*Default: 16.*"), train);
    assertTrue(train.matches("(?s).*--lr=<lr>[^\\n]*\\n?[^\\n]*Default: 3e-3.*"), train);
    assertTrue(train.matches("(?s).*--seq-len=<seqLen>[^\\n]*\\n?[^\\n]*context.*"), train);
  }

  Result trainTiny(String... extra) throws Exception {
    Path corpus = dir.resolve("corpus.txt");
    Files.writeString(corpus, "the quick brown fox jumps over the lazy dog. ".repeat(400));
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "train",
                "--family",
                "dense",
                "--corpus",
                corpus.toString(),
                "--out",
                dir.resolve("run").toString(),
                "--d-model",
                "16",
                "--layers",
                "1",
                "--heads",
                "2",
                "--d-ff",
                "32",
                "--batch",
                "2",
                "--val-batches",
                "1"));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  @Test
  void trainsDefaultsPrintNoWarning() throws Exception {
    Result r = trainTiny("--steps", "2");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("warning"), r.err());
  }

  @Test
  void warmUpLongerThanTheRunIsWarnedAbout() throws Exception {
    Result r = trainTiny("--steps", "2", "--warmup", "5");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("warning: --warmup 5"), r.err());
  }

  @Test
  void modelFilesGetTheUsualPermissions() throws Exception {
    Path model = init("dense");
    Path reference = Files.createFile(dir.resolve("reference"));
    var usual = Files.getPosixFilePermissions(reference);
    for (String f : List.of("config.json", "model.safetensors", "MODEL_CARD.md")) {
      assertEquals(usual, Files.getPosixFilePermissions(model.resolve(f)), f);
    }
  }
}
