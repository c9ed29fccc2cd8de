package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Megabyte on the command line: init-model, then decode --jsonl with patch telemetry. */
class MegabyteCliTest {
  @TempDir Path dir;

  /** A random Megabyte model in patches of 4, its global model a Switch (experts are a config). */
  private Path switchMegabyte() {
    return CliTest.init(
        dir,
        "megabyte",
        "--patch-size",
        "4",
        "--global-family",
        "switch",
        "--local-d-model",
        "16",
        "--local-heads",
        "2",
        "--local-d-ff",
        "32");
  }

  @Test
  void aRandomMegabyteDecodesWithTheGlobalModelOncePerPatch() throws Exception {
    // Patches of 4 over 64 bytes; the global model a Switch (experts are a configuration).
    Path model = switchMegabyte();
    String config = Files.readString(model.resolve("config.json"));
    assertTrue(config.contains("\"family\": \"megabyte\""), config);
    assertTrue(config.contains("\"family\": \"switch\""), config);
    CliTest.Result r =
        CliTest.run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "Hello",
            "--max-tokens",
            "12",
            "--jsonl",
            "--telemetry",
            "summary");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(14, lines.length, "prefill, 12 tokens, end");
    JsonObject prefill = JsonParser.parseString(lines[0]).getAsJsonObject();
    assertEquals("megabyte", prefill.getAsJsonObject("session").get("family").getAsString());
    int globalRuns = 0;
    for (int s = 0; s < 12; s++) {
      JsonObject t = JsonParser.parseString(lines[1 + s]).getAsJsonObject();
      int position = t.get("position").getAsInt();
      assertEquals(5 + s, position);
      JsonObject patch = t.getAsJsonObject("patch");
      int next = position + 1;
      assertEquals(next / 4, patch.get("index").getAsInt(), "step " + s);
      assertEquals(next % 4, patch.get("in_patch").getAsInt(), "step " + s);
      boolean ran = patch.get("global_ran").getAsBoolean();
      assertEquals(next % 4 == 0, ran, "the global model runs when a patch begins, step " + s);
      globalRuns += ran ? 1 : 0;
      assertTrue(patch.get("local_us").getAsDouble() > 0);
      assertEquals(ran, patch.get("global_us").getAsDouble() > 0);
    }
    assertEquals(3, globalRuns, "positions 8, 12 and 16 begin patches");
    JsonObject end = JsonParser.parseString(lines[13]).getAsJsonObject();
    assertEquals(12, end.get("generated").getAsInt());
  }

  @Test
  void whatIfBansAnExpertOfTheGlobalModel() throws Exception {
    Path model = switchMegabyte();
    CliTest.Result r =
        CliTest.run(
            "what-if",
            "--model",
            model.toString(),
            "--prompt",
            "Hello",
            "--fork",
            "3",
            "--max-tokens",
            "12",
            "--ban",
            "*:0",
            "--jsonl");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(13, lines.length, "12 steps and the summary");
    JsonObject summary = JsonParser.parseString(lines[12]).getAsJsonObject();
    assertEquals("[\"ban *:0\"]", summary.getAsJsonArray("interventions").toString());
    CliTest.Result lens =
        CliTest.run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "Hi",
            "--max-tokens",
            "2",
            "--logit-lens");
    assertEquals(2, lens.code());
    assertTrue(lens.err().contains("--logit-lens is not supported for megabyte"), lens.err());
  }

  @Test
  void trainWritesAMegabyteModelThatDecodes() throws Exception {
    Path corpus = dir.resolve("corpus.txt");
    Files.writeString(corpus, "the quick brown fox jumps over the lazy dog. ".repeat(400));
    Path run = dir.resolve("run");
    CliTest.Result r =
        CliTest.run(
            "train",
            "--family",
            "megabyte",
            "--corpus",
            corpus.toString(),
            "--out",
            run.toString(),
            "--d-model",
            "32",
            "--layers",
            "1",
            "--heads",
            "2",
            "--d-ff",
            "64",
            "--context",
            "32",
            "--patch-size",
            "4",
            "--local-d-model",
            "16",
            "--local-layers",
            "1",
            "--local-d-ff",
            "32",
            "--batch",
            "4",
            "--steps",
            "30",
            "--eval-every",
            "10",
            "--val-batches",
            "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("training megabyte"), r.err());
    String card = Files.readString(run.resolve("MODEL_CARD.md"));
    assertTrue(card.contains("megabyte: patches of 4 bytes"), card);
    java.util.List<String> csv = Files.readAllLines(run.resolve("training.csv"));
    double first = Double.parseDouble(csv.get(1).split(",")[1]);
    double last = Double.parseDouble(csv.getLast().split(",")[1]);
    assertTrue(last < first - 0.5, "the loss falls: " + csv);
    CliTest.Result d =
        CliTest.run("decode", "--model", run.toString(), "--prompt", "the ", "--max-tokens", "8");
    assertEquals(0, d.code(), d.err());
    assertTrue(d.err().contains("[8 tokens"), d.err());
  }

  @Test
  void aContextThatPatchesDoNotDivideIsRefusedByOption() {
    CliTest.Result r =
        CliTest.run(
            "init-model",
            "--family",
            "megabyte",
            "--context",
            "100",
            "--patch-size",
            "8",
            "--out",
            dir.resolve("m").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--context 100 must be a multiple of --patch-size 8"), r.err());
    CliTest.Result wide =
        CliTest.run(
            "init-model",
            "--family",
            "megabyte",
            "--d-model",
            "100",
            "--context",
            "64",
            "--out",
            dir.resolve("w").toString());
    assertEquals(2, wide.code());
    assertTrue(wide.err().contains("--d-model 100 (the global width)"), wide.err());
  }
}
