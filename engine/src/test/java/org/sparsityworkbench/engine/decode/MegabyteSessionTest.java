package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.MegabyteConfig;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.intervention.Interventions;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.model.MegabyteModel;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.ParameterLayout;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryJson;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/** A Megabyte model through the family-independent decode: telemetry of both levels, compare. */
class MegabyteSessionTest {
  /** 32 bytes in patches of 4; a Switch global model (4 experts), a dense local one. */
  static MegabyteConfig config() {
    ModelConfig global = ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 8, 4, 1, 1.25);
    return MegabyteConfig.of(32, 4, 8, global, 16, 2, 2, 32);
  }

  static DecodeOptions options(int tokens, TelemetryLevel level) {
    return new DecodeOptions(tokens, new SamplingOptions(1, 0, 1, 3), level, true);
  }

  static void assertDistribution(float[] w, int n, String what) {
    assertEquals(n, w.length, what + ": weights");
    double sum = 0;
    for (float v : w) {
      assertTrue(v >= 0, what + ": negative weight");
      sum += v;
    }
    assertEquals(1.0, sum, 1e-4, what + ": sum");
  }

  @Test
  void fullTelemetryShowsTheLocalAttentionInThePatchAndTheGlobalLayersWhenTheyRan(@TempDir Path dir)
      throws Exception {
    MegabyteConfig c = config();
    try (NDManager root = TestModels.manager()) {
      try (MegabyteModel m = MegabyteModel.random(c, 5, root)) {
        m.save(dir, Map.of());
      }
      var refused =
          assertThrows(
              org.sparsityworkbench.engine.config.ModelFormatException.class,
              () -> Models.load(dir, root));
      assertTrue(refused.getMessage().contains("a megabyte model"), refused.getMessage());
      try (LanguageModel loaded = Models.open(dir, root, LoadProgress.NONE)) {
        MegabyteModel m = assertInstanceOf(MegabyteModel.class, loaded);
        assertEquals("megabyte", loaded.family());
        assertEquals(32, loaded.contextLength());
        assertEquals(2, loaded.spec().layers(), "the views see the global model's layers");
        List<Records.Record> records = new ArrayList<>();
        // Prompt of 2 bytes: the steps cross the patch boundaries at positions 4, 8 and 12.
        DecodeSession.run(
            loaded, "ab", options(12, TelemetryLevel.FULL), records::add, () -> false);
        int globalSteps = 0;
        for (Records.Record r : records) {
          if (!(r instanceof Records.Token t)) {
            continue;
          }
          Records.Patch p = t.patch();
          assertNotNull(p, "every byte has its patch");
          assertNull(t.layers(), "a byte has no global layers of its own");
          int next = t.position() + 1;
          assertEquals(next / 4, p.index());
          assertEquals(next % 4, p.inPatch());
          assertEquals(2, p.local().size(), "one attention per local layer");
          for (Records.Attention a : p.local()) {
            assertEquals(2, a.heads().length);
            for (float[] h : a.heads()) {
              assertDistribution(h, p.inPatch() + 1, "local attention at " + next);
            }
          }
          if (p.inPatch() == 0) {
            globalSteps++;
            assertTrue(p.globalRan());
            assertEquals(2, p.global().size());
            for (Records.TokenLayer l : p.global()) {
              for (float[] h : l.attention().heads()) {
                assertDistribution(h, p.index() + 1, "global attention at patch " + p.index());
              }
              assertEquals(1, l.router().experts().length, "switch: one expert per patch");
              assertEquals(4, l.router().probs().length);
            }
          } else {
            assertTrue(!p.globalRan());
            assertNull(p.global());
          }
          // The record survives its JSON line.
          Records.Token back = (Records.Token) TelemetryJson.fromJson(TelemetryJson.toJson(t));
          assertEquals(p.local().size(), back.patch().local().size());
        }
        assertEquals(3, globalSteps, "positions 4, 8 and 12 begin patches");

        // Summary telemetry: the global routing without attention rows.
        List<Records.Record> summary = new ArrayList<>();
        DecodeSession.run(m, "ab", options(4, TelemetryLevel.SUMMARY), summary::add, () -> false);
        Records.Token boundary = (Records.Token) summary.get(2); // position 3 -> predicts 4
        assertTrue(boundary.patch().globalRan());
        assertNull(boundary.patch().global().getFirst().attention());
        assertNotNull(boundary.patch().global().getFirst().router());
        assertNull(boundary.patch().local());
      }
    }
  }

  @Test
  void aStepwisePrefillPredictsTheSameAndRecordsEveryStepItTook() {
    // A dense global model: stepwise and at once compute the same (no capacity to apply).
    MegabyteConfig c =
        MegabyteConfig.of(32, 4, 8, ModelConfig.dense(32, 2, 4, 64, 8), 16, 2, 2, 32);
    int[] prompt = new int[10]; // patches 0 and 1 complete, the prefill predicts position 10
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = "The lord s".charAt(i);
    }
    try (NDManager root = TestModels.manager();
        MegabyteModel mb = MegabyteModel.random(c, 5, root)) {
      float[] atOnce;
      float[] stepwise;
      try (MegabyteModel.Decoder d = mb.decoder(TransformerModel.ForwardOptions.inference(false))) {
        atOnce = d.prefill(prompt, false);
        assertNull(d.prefillSteps());
      }
      try (MegabyteModel.Decoder d = mb.decoder(TransformerModel.ForwardOptions.inference(true))) {
        stepwise = d.prefill(prompt, true);
        assertEquals(2 + 3, d.prefillSteps().size(), "global 0, 1; then patch 2's bytes 0..2");
        // The decode goes on from either as from the other.
        assertEquals(3, d.globalRuns());
      }
      for (int v = 0; v < 256; v++) {
        assertEquals(atOnce[v], stepwise[v], 1e-4, "logit " + v);
      }
      try (MegabyteSession s = new MegabyteSession(mb, options(2, TelemetryLevel.FULL))) {
        Records.Prefill p = s.prefill(prompt);
        List<Records.Patch> steps = p.patches();
        assertEquals(5, steps.size());
        for (int j = 0; j < 2; j++) {
          Records.Patch g = steps.get(j);
          assertEquals(j, g.index());
          assertTrue(g.globalRan());
          assertNull(g.local(), "patches before the last never ran locally in the prefill");
          for (float[] h : g.global().getFirst().attention().heads()) {
            assertDistribution(h, j + 1, "prefill global attention of patch " + j);
          }
        }
        for (int i = 0; i < 3; i++) {
          Records.Patch l = steps.get(2 + i);
          assertEquals(2, l.index());
          assertEquals(i, l.inPatch());
          assertEquals(i == 0, l.globalRan());
          for (float[] h : l.local().getFirst().heads()) {
            assertDistribution(h, i + 1, "prefill local attention at byte " + i);
          }
        }
        Records.Prefill back = (Records.Prefill) TelemetryJson.fromJson(TelemetryJson.toJson(p));
        assertEquals(5, back.patches().size());
      }
      try (MegabyteSession off = new MegabyteSession(mb, options(2, TelemetryLevel.OFF))) {
        assertNull(off.prefill(prompt).patches(), "telemetry off: the prefill runs at once");
      }
    }
    // A Switch global model: capacity applies to a prefill at once and to no single position, so
    // with capacity on the prefill runs at once (its steps unrecorded), with it off stepwise.
    try (NDManager root = TestModels.manager();
        MegabyteModel sw = MegabyteModel.random(config(), 5, root)) {
      try (MegabyteSession on = new MegabyteSession(sw, options(2, TelemetryLevel.FULL))) {
        assertNull(on.prefill(prompt).patches());
      }
      DecodeOptions free =
          new DecodeOptions(2, new SamplingOptions(1, 0, 1, 3), TelemetryLevel.FULL, false);
      try (MegabyteSession off = new MegabyteSession(sw, free)) {
        List<Records.Patch> steps = off.prefill(prompt).patches();
        assertEquals(5, steps.size());
        assertEquals(1, steps.getFirst().global().getFirst().router().experts().length);
      }
    }
  }

  @Test
  void comparesWithADenseByteModelAndSideAIsTheSoloDecode() {
    MegabyteConfig c = config();
    try (NDManager root = TestModels.manager();
        MegabyteModel mb = MegabyteModel.random(c, 5, root);
        TransformerModel dense =
            TransformerModel.random(TestModels.tiny(Family.DENSE, 64), 1, root)) {
      List<Records.Record> solo = new ArrayList<>();
      DecodeSession.run(mb, "Hi", options(9, TelemetryLevel.OFF), solo::add, () -> false);
      List<Comparison.Step> steps = new ArrayList<>();
      Comparison.run(mb, dense, "Hi", options(9, TelemetryLevel.OFF), steps::add, () -> false);
      assertEquals(9, steps.size());
      StringBuilder a = new StringBuilder();
      for (Comparison.Step s : steps) {
        assertTrue(Double.isFinite(s.kl()) && s.kl() > 0, "two models differ");
        assertNotNull(s.a().patch(), "A's records keep their patch telemetry");
        a.append(s.a().text());
      }
      assertEquals(((Records.End) solo.getLast()).text(), a.toString());
    }
  }

  @Test
  void interventionsActOnTheGlobalModelFromItsNextStep() {
    try (NDManager root = TestModels.manager();
        MegabyteModel mb = MegabyteModel.random(config(), 5, root)) {
      assertTrue(mb.supportsInterventions());
      assertTrue(!mb.supportsLogitLens());
      var ban = Interventions.parse("ban", "*:1");
      List<Records.Record> banned = new ArrayList<>();
      DecodeSession.run(
          mb,
          "ab",
          options(24, TelemetryLevel.SUMMARY).with(List.of(ban)),
          banned::add,
          () -> false);
      int globalSteps = 0;
      for (Records.Record r : banned) {
        if (r instanceof Records.Token t) {
          assertEquals(List.of("ban *:1"), t.interventions());
          if (t.patch().globalRan()) {
            globalSteps++;
            for (Records.TokenLayer l : t.patch().global()) {
              assertTrue(l.router().experts()[0] != 1, "a banned expert is never chosen");
            }
          }
        }
      }
      assertEquals(6, globalSteps);
      // Without the ban, expert 1 is chosen somewhere (else the test shows nothing).
      List<Records.Record> free = new ArrayList<>();
      DecodeSession.run(mb, "ab", options(24, TelemetryLevel.SUMMARY), free::add, () -> false);
      boolean used = false;
      for (Records.Record r : free) {
        if (r instanceof Records.Token t && t.patch().globalRan()) {
          for (Records.TokenLayer l : t.patch().global()) {
            used |= l.router().experts()[0] == 1;
          }
          assertNull(t.interventions());
        }
      }
      assertTrue(used, "the free decode uses expert 1");
      // Bad ones are refused before anything runs, naming the global model's sizes.
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  TokenDecoder.open(
                      mb,
                      options(2, TelemetryLevel.OFF)
                          .with(List.of(Interventions.parse("ban", "0:9")))));
      assertTrue(e.getMessage().contains("9"), e.getMessage());
      String full = "x".repeat(32);
      e = assertThrows(IllegalArgumentException.class, () -> TokenDecoder.encodePrompt(mb, full));
      assertTrue(e.getMessage().contains("at most 31"), e.getMessage());
    }
  }

  @Test
  void summaryCountsEveryParameterAndTheGlobalModelOncePerPatch() {
    MegabyteConfig c =
        MegabyteConfig.of(64, 4, 8, ModelConfig.dense(32, 2, 4, 64, 16), 16, 2, 2, 32);
    ModelSummary s = ModelSummary.of(c);
    assertEquals(MegabyteModel.parameters(c), s.totalParams());
    long global = 0;
    long local = 0;
    for (ParameterLayout.Param p : MegabyteModel.layout(c)) {
      if (p.name().startsWith(MegabyteModel.GLOBAL)) {
        global += p.numel();
      } else if (p.name().startsWith(MegabyteModel.LOCAL)) {
        local += p.numel();
      }
    }
    // A dense global model: all of it per patch, a quarter per byte; the tables one row each.
    assertEquals(global / 4 + local + 8L * 16 + 2 * 8, s.activeParams());
    assertTrue(s.flopsLast() > s.flopsFirst());
    assertTrue(s.architecture().startsWith("megabyte: patches of 4 bytes"), s.architecture());
  }
}
