package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

class DecodeSessionTest {
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  private static DecodeOptions options(int n, SamplingOptions s, TelemetryLevel level) {
    return new DecodeOptions(n, s, level, true);
  }

  private static List<Records.Record> decode(TransformerModel m, String prompt, DecodeOptions o) {
    List<Records.Record> out = new ArrayList<>();
    DecodeSession.run(m, prompt, o, out::add, () -> false);
    return out;
  }

  private static String text(List<Records.Record> rs) {
    return ((Records.End) rs.getLast()).text();
  }

  @Test
  void sameSeedGivesSameTextAndDifferentSeedDiffers() {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.TOPK, 64), 1, root)) {
      SamplingOptions a = new SamplingOptions(1.0, 0, 1.0, 42);
      SamplingOptions b = new SamplingOptions(1.0, 0, 1.0, 43);
      String x = text(decode(m, "Hi", options(30, a, TelemetryLevel.OFF)));
      String y = text(decode(m, "Hi", options(30, a, TelemetryLevel.FULL)));
      String z = text(decode(m, "Hi", options(30, b, TelemetryLevel.OFF)));
      assertEquals(x, y, "telemetry level must not change the text");
      assertFalse(x.equals(z), "another seed should give another text");
    }
  }

  @Test
  void recordsFollowTheTelemetryContract() {
    try (TransformerModel m =
        TransformerModel.random(TestModels.tiny(Family.SWITCH, 64), 2, root)) {
      List<Records.Record> rs =
          decode(m, "abc", options(4, SamplingOptions.greedy(), TelemetryLevel.FULL));
      assertEquals(6, rs.size(), "prefill, 4 tokens, end");
      Records.Prefill p = (Records.Prefill) rs.getFirst();
      assertEquals(3, p.tokens());
      assertEquals(3, p.layers().getFirst().router().experts().length, "one row per prompt token");
      for (int s = 0; s < 4; s++) {
        Records.Token t = (Records.Token) rs.get(1 + s);
        assertEquals(s, t.step());
        assertEquals(3 + s, t.position());
        Records.TokenLayer l = t.layers().getFirst();
        assertEquals(t.position() + 1, l.attention().heads()[0].length);
        assertEquals(4, l.router().probs().length, "E probabilities");
        assertEquals(1, l.router().experts().length);
        assertNotNull(l.timingUs().router());
      }
      Records.End end = (Records.End) rs.getLast();
      assertEquals("max_tokens", end.reason());
      assertEquals(4, end.generated());
    }
  }

  @Test
  void sparseTelemetryCarriesControllerConfidenceAndModuleActivity() {
    try (TransformerModel m =
        TransformerModel.random(TestModels.tiny(Family.SPARSE_FFQKV, 64), 5, root)) {
      List<Records.Record> rs =
          decode(m, "abc", options(6, SamplingOptions.greedy(), TelemetryLevel.FULL));
      int blockSize = m.config().blockSize();
      for (Records.Record r : rs.subList(1, rs.size() - 1)) {
        for (Records.TokenLayer l : ((Records.Token) r).layers()) {
          Records.Controller c = l.controller();
          assertEquals(m.config().blocks(), c.chosen().length);
          for (int b = 0; b < c.chosen().length; b++) {
            assertTrue(c.chosen()[b] >= 0 && c.chosen()[b] < blockSize);
            // The chosen unit is the block's argmax: its softmax probability is at least 1/N.
            assertTrue(
                c.confidence()[b] >= 1.0 / blockSize - 1e-6 && c.confidence()[b] <= 1 + 1e-6,
                "confidence " + c.confidence()[b]);
          }
          float[] modules = l.qkv().modules();
          assertEquals(m.config().qkvModules(), modules.length);
          for (float v : modules) {
            assertTrue(Float.isFinite(v) && v > 0, "module RMS " + v);
          }
        }
      }
    }
  }

  @Test
  void offLevelCarriesNoLayers() {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.DENSE, 64), 2, root)) {
      List<Records.Record> rs =
          decode(m, "abc", options(2, SamplingOptions.greedy(), TelemetryLevel.OFF));
      Records.Token t = (Records.Token) rs.get(1);
      assertNull(t.layers());
      assertNull(t.top());
    }
  }

  @Test
  void emptyPromptAndTooLongPromptAreClearErrors() {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.DENSE, 16), 2, root)) {
      DecodeOptions o = options(2, SamplingOptions.greedy(), TelemetryLevel.OFF);
      var e1 = assertThrows(IllegalArgumentException.class, () -> decode(m, "", o));
      assertTrue(e1.getMessage().contains("empty"), e1.getMessage());
      var e2 = assertThrows(IllegalArgumentException.class, () -> decode(m, "x".repeat(17), o));
      assertTrue(e2.getMessage().contains("context_length is 16"), e2.getMessage());
    }
  }

  @Test
  void decodeStopsWhenTheContextIsFull() {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.TOPK, 16), 2, root)) {
      List<Records.Record> rs =
          decode(m, "0123456789", options(100, SamplingOptions.greedy(), TelemetryLevel.SUMMARY));
      Records.End end = (Records.End) rs.getLast();
      assertEquals("context_full", end.reason());
      assertEquals(6, end.generated(), "positions 10..15");
    }
  }

  @Test
  void cancellationStopsBetweenSteps() {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.DENSE, 64), 2, root)) {
      AtomicInteger tokens = new AtomicInteger();
      Records.End end =
          DecodeSession.run(
              m,
              "go",
              options(50, SamplingOptions.greedy(), TelemetryLevel.OFF),
              r -> {
                if (r instanceof Records.Token) {
                  tokens.incrementAndGet();
                }
              },
              () -> tokens.get() >= 3);
      assertEquals("cancelled", end.reason());
      assertEquals(3, end.generated());
    }
  }

  /**
   * Decoding 5,000 tokens must leave the live native arrays exactly constant, and a second decode
   * of 5,000 tokens must not grow resident memory: a leak would grow it again by the same amount.
   * (The first decode warms PyTorch's and the JVM's allocators as the context grows: about +80 MB
   * at full telemetry, then flat, as measured over 12,000 tokens.)
   */
  @Test
  void longDecodeKeepsNativeArraysAndMemoryFlat() throws IOException {
    int n = 5_000;
    try (TransformerModel m =
        TransformerModel.random(TestModels.tiny(Family.TOPK, n + 16), 2, root)) {
      int before = m.manager().getManagedArrays().size();
      long[] afterRun = new long[2];
      for (int run = 0; run < 2; run++) {
        DecodeOptions o = options(n, new SamplingOptions(1, 0, 1, 3 + run), TelemetryLevel.FULL);
        try (DecodeSession s = new DecodeSession(m, o)) {
          s.prefill("memory");
          int withCache = m.manager().getManagedArrays().size();
          for (int i = 0; i < n; i++) {
            s.step();
            if (i % 500 == 0) {
              assertEquals(withCache, m.manager().getManagedArrays().size(), "live arrays at " + i);
            }
          }
          assertEquals(withCache, m.manager().getManagedArrays().size());
        }
        assertEquals(before, m.manager().getManagedArrays().size(), "the cache is freed on close");
        afterRun[run] = rssKb();
      }
      long grown = afterRun[1] - afterRun[0];
      assertTrue(
          grown < 32 * 1024,
          "resident memory outside the heap grew by "
              + grown
              + " kB in a second 5,000-token decode");
    }
  }

  /** Resident memory outside the Java heap, in kB: native arrays, caches, code. */
  private static long rssKb() throws IOException {
    System.gc();
    long heapKb =
        java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted()
            / 1024;
    return residentKb() - heapKb;
  }

  private static long residentKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS");
  }
}
