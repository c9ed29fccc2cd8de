package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** decode with interventions, as a user types them. */
class InterventionCliTest {
  @TempDir Path dir;

  private CliTest.Result decode(Path model, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "decode",
                "--model",
                model.toString(),
                "--prompt",
                "Hello",
                "--max-tokens",
                "8",
                "--temperature",
                "0",
                "--jsonl",
                "--telemetry",
                "summary"));
    args.addAll(List.of(extra));
    return CliTest.run(args.toArray(new String[0]));
  }

  @Test
  void aBannedExpertIsNeverChosenAndEveryRecordSaysSo() {
    Path model = CliTest.init(dir, "topk");
    CliTest.Result r = decode(model, "--ban", "*:1", "--force", "0:3");
    assertEquals(0, r.code(), r.err());
    int tokens = 0;
    for (String line : r.out().split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String type = o.get("type").getAsString();
      if (type.equals("end")) {
        continue;
      }
      JsonArray in = o.getAsJsonArray("interventions");
      assertEquals("[\"ban *:1\",\"force 0:3\"]", in.toString(), type);
      if (type.equals("token")) {
        tokens++;
        for (JsonElement l : o.getAsJsonArray("layers")) {
          JsonArray experts =
              l.getAsJsonObject().getAsJsonObject("router").getAsJsonArray("experts");
          for (JsonElement e : experts) {
            assertNotEquals(1, e.getAsInt(), "banned");
          }
          if (l.getAsJsonObject().get("index").getAsInt() == 0) {
            assertEquals(3, experts.get(0).getAsInt(), "forced first");
          }
        }
      }
    }
    assertEquals(8, tokens);
  }

  @Test
  void oneThatDoesNotFitTheModelOrCannotBeReadIsOneClearLine() {
    Path model = CliTest.init(dir, "switch");
    CliTest.Result r = decode(model, "--ban", "0:9");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("error: ban 0:9: layer 0 has experts 0..3"), r.err());
    assertEquals("", r.out(), "nothing decoded");
    CliTest.Result bad = decode(model, "--force", "zero:1");
    assertEquals(2, bad.code());
    assertTrue(
        bad.err().contains("force zero:1: the layer 'zero' is not a number or *"), bad.err());
    CliTest.Result dense = decode(CliTest.init(dir, "dense"), "--head-off", "1:3");
    assertEquals(0, dense.code(), dense.err());
    assertTrue(dense.out().contains("\"interventions\":[\"head-off 1:3\"]"));
  }

  @Test
  void theSparseOnesOnASparseModel() {
    Path model = CliTest.init(dir, "sparse-ffqkv");
    CliTest.Result r =
        decode(model, "--force-unit", "0:2:5", "--block-off", "1:0", "--module-off", "*:1");
    assertEquals(0, r.code(), r.err());
    for (String line : r.out().split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (!o.get("type").getAsString().equals("token")) {
        continue;
      }
      assertEquals(
          "[\"force-unit 0:2:5\",\"block-off 1:0\",\"module-off *:1\"]",
          o.getAsJsonArray("interventions").toString());
      JsonObject l0 = o.getAsJsonArray("layers").get(0).getAsJsonObject();
      assertEquals(5, l0.getAsJsonObject("controller").getAsJsonArray("chosen").get(2).getAsInt());
      assertEquals(0.0, l0.getAsJsonObject("qkv").getAsJsonArray("modules").get(1).getAsDouble());
    }
  }
}
