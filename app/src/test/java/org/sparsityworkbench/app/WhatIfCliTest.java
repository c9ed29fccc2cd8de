package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** what-if on the command line: A is the uninterrupted decode, B the intervened one. */
class WhatIfCliTest {
  @TempDir Path dir;

  @Test
  void theOriginalBranchIsTheUninterruptedDecodeAndTheSummarySaysWhereTheyPart() {
    Path model = CliTest.init(dir, "topk");
    CliTest.Result plain =
        CliTest.run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "Hello",
            "--max-tokens",
            "15",
            "--temperature",
            "0",
            "--jsonl",
            "--telemetry",
            "summary");
    assertEquals(0, plain.code(), plain.err());
    List<Integer> decoded = new ArrayList<>();
    for (String line : plain.out().split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.get("type").getAsString().equals("token")) {
        decoded.add(o.get("token").getAsInt());
      }
    }
    CliTest.Result r =
        CliTest.run(
            "what-if",
            "--model",
            model.toString(),
            "--prompt",
            "Hello",
            "--fork",
            "5",
            "--max-tokens",
            "10",
            "--ban",
            "*:0",
            "--force",
            "1:3",
            "--jsonl");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(11, lines.length, "10 steps and the summary");
    for (int s = 0; s < 10; s++) {
      JsonObject o = JsonParser.parseString(lines[s]).getAsJsonObject();
      assertEquals(decoded.get(5 + s).intValue(), o.get("a_token").getAsInt(), "A at step " + s);
    }
    JsonObject summary = JsonParser.parseString(lines[10]).getAsJsonObject();
    assertEquals("what_if", summary.get("type").getAsString());
    assertEquals(5, summary.get("fork").getAsInt());
    assertEquals("[\"ban *:0\",\"force 1:3\"]", summary.getAsJsonArray("interventions").toString());
    assertTrue(summary.getAsJsonObject("tokens_changed_expert").has("1"), "forcing moves layer 1");
  }

  @Test
  void saveWritesBothSidesAsSessionsThatReplayAsTheyDecoded() throws Exception {
    Path model = CliTest.init(dir, "topk");
    Path a = dir.resolve("fork-A.session.gz");
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
            "8",
            "--ban",
            "*:0",
            "--jsonl",
            "--save",
            a.toString());
    assertEquals(0, r.code(), r.err());
    Path b = dir.resolve("fork-B.session.gz");
    assertEquals(b, org.sparsityworkbench.engine.session.SessionFile.sideB(a));
    String[] steps = r.out().split("\n");
    for (Path side : List.of(a, b)) {
      CliTest.Result replay = CliTest.run("replay", side.toString(), "--jsonl");
      assertEquals(0, replay.code(), replay.err());
      String[] lines = replay.out().split("\n");
      assertEquals(10, lines.length, "prefill, 8 tokens, end");
      JsonObject prefill = JsonParser.parseString(lines[0]).getAsJsonObject();
      assertEquals(
          "Hello".length() + 3, prefill.get("tokens").getAsInt(), "the prompt and 3 tokens");
      String key = side == a ? "a_token" : "b_token";
      for (int s = 0; s < 8; s++) {
        JsonObject step = JsonParser.parseString(steps[s]).getAsJsonObject();
        JsonObject token = JsonParser.parseString(lines[1 + s]).getAsJsonObject();
        assertEquals(step.get(key).getAsInt(), token.get("token").getAsInt(), side + " " + s);
        assertEquals(
            side == a ? null : "[\"ban *:0\"]",
            token.has("interventions") ? token.get("interventions").toString() : null);
      }
    }
  }

  @Test
  void withoutAnInterventionOrWithOneThatDoesNotFitItSaysSo() {
    Path model = CliTest.init(dir, "switch");
    CliTest.Result none = CliTest.run("what-if", "--model", model.toString(), "--prompt", "Hi");
    assertEquals(2, none.code());
    assertTrue(none.err().contains("give at least one intervention"), none.err());
    CliTest.Result bad =
        CliTest.run("what-if", "--model", model.toString(), "--prompt", "Hi", "--ban", "0:9");
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("error: ban 0:9: layer 0 has experts 0..3"), bad.err());
  }
}
