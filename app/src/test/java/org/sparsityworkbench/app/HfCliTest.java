package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line on a Hugging Face directory, as a user runs it: init-hf, info, decode. */
class HfCliTest {
  @TempDir Path dir;

  private Path mixtral() {
    Path out = dir.resolve("mixtral");
    CliTest.Result r =
        CliTest.run(
            "init-hf",
            "--out",
            out.toString(),
            "--hidden",
            "32",
            "--intermediate",
            "48",
            "--layers",
            "2",
            "--heads",
            "4",
            "--kv-heads",
            "2",
            "--experts",
            "4",
            "--vocab",
            "600",
            "--context",
            "64");
    assertEquals(0, r.code(), r.err());
    return out;
  }

  @Test
  void decodeJsonlOfAHuggingFaceMixtralHasTokenIdsTextsAndRouting() {
    Path m = mixtral();
    CliTest.Result r =
        CliTest.run(
            "decode",
            "--model",
            m.toString(),
            "--prompt",
            "the cat",
            "--max-tokens",
            "6",
            "--jsonl",
            "--telemetry",
            "full");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(8, lines.size(), r.out());
    JsonObject prefill = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertEquals("prefill", prefill.get("type").getAsString());
    int n = prefill.get("tokens").getAsInt();
    assertEquals(n, prefill.getAsJsonArray("ids").size());
    assertEquals(n, prefill.getAsJsonArray("texts").size());
    StringBuilder joined = new StringBuilder();
    prefill.getAsJsonArray("texts").forEach(t -> joined.append(t.getAsString()));
    assertEquals("the cat", joined.toString());
    JsonObject token = JsonParser.parseString(lines.get(1)).getAsJsonObject();
    JsonObject layer = token.getAsJsonArray("layers").get(1).getAsJsonObject();
    assertEquals(2, layer.getAsJsonObject("router").getAsJsonArray("experts").size());
    assertEquals(4, layer.getAsJsonObject("router").getAsJsonArray("probs").size());
    assertEquals(4, layer.getAsJsonObject("attention").getAsJsonArray("heads").size());
    assertTrue(token.get("token").getAsInt() < 600);
    assertEquals(
        "end", JsonParser.parseString(lines.get(7)).getAsJsonObject().get("type").getAsString());
  }

  @Test
  void infoReportsTotalAndActiveParameters() {
    Path m = mixtral();
    CliTest.Result r = CliTest.run("info", "--model", m.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    long total = o.get("params_total").getAsLong();
    long active = o.get("params_active_per_token").getAsLong();
    // Two of four experts idle in each of 2 layers: 2 * 2 * 3 * 48 * 32 parameters.
    assertEquals(total - 2L * 2 * 3 * 48 * 32, active);
    assertEquals("mixtral", o.getAsJsonObject("config").get("model_type").getAsString());
  }

  @Test
  void anUnknownModelTypeIsOneClearLine() throws Exception {
    Path m = mixtral();
    Path config = m.resolve("config.json");
    Files.writeString(
        config,
        Files.readString(config, StandardCharsets.UTF_8).replace("\"mixtral\"", "\"gpt_oss\""));
    CliTest.Result r =
        CliTest.run("decode", "--model", m.toString(), "--prompt", "x", "--max-tokens", "3");
    assertEquals(1, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("gpt_oss") && r.err().contains("supported"), r.err());
  }
}
