package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** decode --save and replay: a saved decode prints again exactly as it printed. */
class SessionCliTest {
  @TempDir Path dir;

  private Path init(String family) {
    return CliTest.init(dir, family);
  }

  @ParameterizedTest
  @ValueSource(strings = {"switch", "sparse-ffqkv", "megabyte"})
  void replayJsonlPrintsExactlyWhatDecodeJsonlPrinted(String family) throws Exception {
    Path model = init(family);
    Path session = dir.resolve("run.session.gz");
    CliTest.Result decoded =
        CliTest.run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "Hi there",
            "--max-tokens",
            "12",
            "--seed",
            "5",
            "--jsonl",
            "--save",
            session.toString());
    assertEquals(0, decoded.code(), decoded.err());
    CliTest.Result replayed = CliTest.run("replay", session.toString(), "--jsonl");
    assertEquals(0, replayed.code(), replayed.err());
    assertEquals(decoded.out(), replayed.out());
    assertEquals(14, replayed.out().lines().count(), "prefill, 12 tokens, end");
    // Without --jsonl: the decoded text, and where the session is from.
    CliTest.Result text = CliTest.run("replay", session.toString());
    assertEquals(0, text.code(), text.err());
    String end = decoded.out().lines().reduce((a, b) -> b).orElseThrow();
    String expected =
        com.google.gson.JsonParser.parseString(end).getAsJsonObject().get("text").getAsString();
    assertEquals(
        expected,
        text.out().stripTrailing().isEmpty() ? "" : text.out().strip(),
        "the decoded text");
    assertTrue(text.err().contains("session of " + family), text.err());
    // The header names the model and its weights.
    String header;
    try (var in = new GZIPInputStream(Files.newInputStream(session))) {
      header = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().get();
    }
    var h = com.google.gson.JsonParser.parseString(header).getAsJsonObject();
    assertEquals("sparsity-workbench-session", h.get("format").getAsString());
    assertEquals(
        org.sparsityworkbench.engine.session.ModelIdentity.weightsHash(model),
        h.getAsJsonObject("model").get("weights_sha256").getAsString());
    assertEquals(
        64, h.getAsJsonObject("model").getAsJsonObject("config").get("context_length").getAsInt());
  }

  @Test
  void aSessionSavedWithoutJsonlStillHoldsEveryRecord() throws Exception {
    Path model = init("topk");
    Path session = dir.resolve("quiet.session.gz");
    CliTest.Result decoded =
        CliTest.run(
            "decode",
            "--model",
            model.toString(),
            "--prompt",
            "ab",
            "--max-tokens",
            "5",
            "--save",
            session.toString());
    assertEquals(0, decoded.code(), decoded.err());
    CliTest.Result replayed = CliTest.run("replay", session.toString(), "--jsonl");
    assertEquals(7, replayed.out().lines().count(), replayed.out());
    assertTrue(replayed.out().contains("\"attention\""), "full telemetry by default with --save");
  }

  @Test
  void badSessionFilesAreRefusedWithTheirNameAndWhy() throws Exception {
    Path model = init("dense");
    Path good = dir.resolve("good.session.gz");
    assertEquals(
        0,
        CliTest.run(
                "decode",
                "--model",
                model.toString(),
                "--prompt",
                "x",
                "--max-tokens",
                "3",
                "--save",
                good.toString())
            .code());
    byte[] bytes = Files.readAllBytes(good);
    String text;
    try (var in = new GZIPInputStream(Files.newInputStream(good))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path plain = Files.writeString(dir.resolve("plain.jsonl"), text);
    Path truncated =
        Files.write(
            dir.resolve("cut.session.gz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Path newer = gzip("newer.session.gz", text.replaceFirst("\"version\":1", "\"version\":7"));
    String[] lines = text.split("\n");
    lines[2] = lines[2].replace("\"step\":", "\"step\":\"x");
    Path badRecord = gzip("bad.session.gz", String.join("\n", lines) + "\n");
    String noEnd = text.substring(0, text.lastIndexOf("{\"type\":\"end\""));
    Path endless = gzip("endless.session.gz", noEnd);
    for (Object[] c :
        new Object[][] {
          {plain, "is not compressed"},
          {truncated, "truncated"},
          {newer, "session format version 7; this workbench reads up to version 1"},
          {badRecord, "line 3: the record does not parse"},
          {endless, "truncated (no end record"},
          {dir.resolve("missing.gz"), "missing.gz: no such file"}
        }) {
      CliTest.Result r = CliTest.run("replay", c[0].toString(), "--jsonl");
      assertEquals(1, r.code(), c[0] + ": " + r.err());
      assertTrue(r.err().contains(c[0].toString()), r.err());
      assertTrue(r.err().contains((String) c[1]), r.err());
      assertEquals("", r.out(), "nothing half-printed");
    }
  }

  private Path gzip(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
      o.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return p;
  }
}
