package org.sparsityworkbench.engine.intervention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.ParameterLayout;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryJson;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/** Interventions in the forward pass and the decode: what they change, against references. */
class InterventionModelTest {
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  static final long[] SEQ = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10};

  static Interventions of(TransformerModel m, String... kindValue) {
    List<Intervention> list = new ArrayList<>();
    for (int i = 0; i < kindValue.length; i += 2) {
      list.add(Interventions.parse(kindValue[i], kindValue[i + 1]));
    }
    return Interventions.of(list, m.spec());
  }

  static float[] forward(TransformerModel m, Interventions iv, List<LayerTrace> traces) {
    try (NDManager s = root.newSubManager()) {
      NDArray t = s.create(SEQ, new Shape(1, SEQ.length));
      var opt = new TransformerModel.ForwardOptions(false, false, false, true, null).with(iv);
      return m.forward(t, null, opt, traces).toFloatArray();
    }
  }

  static float maxDiff(float[] a, float[] b) {
    float d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  @Test
  void aBannedExpertIsNeverChosenAndBanningAllButOneIsForcingIt() {
    ModelConfig c = TestModels.tiny(Family.SWITCH, 32);
    try (TransformerModel m = TransformerModel.random(c, 7, root)) {
      List<LayerTrace> plain = new ArrayList<>();
      float[] base = forward(m, Interventions.NONE, plain);
      int favourite = plain.get(0).routing.experts()[0][0];
      List<LayerTrace> banned = new ArrayList<>();
      float[] out = forward(m, of(m, "ban", "*:" + favourite), banned);
      for (LayerTrace t : banned) {
        for (int[] chosen : t.routing.experts()) {
          assertTrue(chosen[0] != favourite, "expert " + favourite + " is banned");
        }
        for (int tok = 0; tok < SEQ.length; tok++) {
          assertEquals(0f, t.routerProbs[tok * 4 + favourite], "masked in the telemetry too");
        }
      }
      assertTrue(maxDiff(base, out) > 1e-4, "the output moves");
      // Switch: banning 0, 1, 2 leaves 3 with gate p_3, exactly what forcing 3 gives.
      float[] onlyThree = forward(m, of(m, "ban", "*:0", "ban", "*:1", "ban", "*:2"), null);
      float[] forced = forward(m, of(m, "force", "*:3"), null);
      assertTrue(maxDiff(onlyThree, forced) < 1e-6, "ban all but 3 = force 3");
    }
  }

  @Test
  void topKOfEveryExpertAndAHotRouterSpreadTheTokens() {
    ModelConfig c = TestModels.tiny(Family.TOPK, 32);
    try (TransformerModel m = TransformerModel.random(c, 8, root)) {
      List<LayerTrace> all = new ArrayList<>();
      forward(m, of(m, "top-k", "1:4"), all);
      assertEquals(4, all.get(1).routing.experts()[0].length);
      assertEquals(2, all.get(0).routing.experts()[0].length, "layer 0 keeps its top-2");
      List<LayerTrace> hot = new ArrayList<>();
      forward(m, of(m, "router-temperature", "*:1000000"), hot);
      for (float p : hot.get(0).routerProbs) {
        assertEquals(0.25f, p, 1e-4f, "a very hot router is uniform");
      }
    }
  }

  @Test
  void everyHeadOffIsAttentionThatAddsNothing() {
    ModelConfig c = TestModels.tiny(Family.DENSE, 32);
    try (TransformerModel m = TransformerModel.random(c, 9, root)) {
      Map<String, float[]> v = new LinkedHashMap<>();
      for (ParameterLayout.Param p : ParameterLayout.of(c)) {
        float[] x = m.param(p.name()).toFloatArray();
        v.put(p.name(), p.name().endsWith("attn.wo") ? new float[x.length] : x);
      }
      try (TransformerModel silent = TransformerModel.fromValues(c, v, root, null)) {
        List<String> off = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
          for (int h = 0; h < 4; h++) {
            off.add("head-off");
            off.add(l + ":" + h);
          }
        }
        float[] heads = forward(m, of(m, off.toArray(new String[0])), null);
        float[] wo = forward(silent, Interventions.NONE, null);
        assertTrue(maxDiff(heads, wo) < 1e-5, "all heads off = a zero output projection");
        float[] one = forward(m, of(m, "head-off", "0:1"), null);
        assertTrue(maxDiff(one, forward(m, Interventions.NONE, null)) > 1e-5, "one head matters");
      }
    }
  }

  @Test
  void capacityOffKeepsEveryTokenOfThePrompt() {
    ModelConfig c =
        new ModelConfig(Family.SWITCH, 256, 32, 1, 4, 64, 32, 1e-5, 4, 1, 0.25, 0, 0.01, 0.001);
    try (TransformerModel m = TransformerModel.random(c, 5, root);
        NDManager s = root.newSubManager()) {
      var capped = new TransformerModel.ForwardOptions(false, true, false, true, null);
      List<LayerTrace> a = new ArrayList<>();
      m.forward(s.create(SEQ, new Shape(1, SEQ.length)), null, capped, a);
      assertTrue(a.get(0).routing.dropped() > 0);
      List<LayerTrace> b = new ArrayList<>();
      m.forward(
          s.create(SEQ, new Shape(1, SEQ.length)),
          null,
          capped.with(of(m, "capacity", "0:off")),
          b);
      assertEquals(0, b.get(0).routing.dropped());
    }
  }

  @Test
  void everyRecordSaysWhichInterventionsWereInForceAndNoneSaysNothing() {
    ModelConfig c = TestModels.tiny(Family.SWITCH, 32);
    try (TransformerModel m = TransformerModel.random(c, 7, root)) {
      DecodeOptions plain =
          new DecodeOptions(6, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, true);
      List<Records.Record> without = new ArrayList<>();
      DecodeSession.run(m, "Hello", plain, without::add, () -> false);
      for (Records.Record r : without) {
        assertFalse(TelemetryJson.toJson(r).contains("interventions"), "no key without any");
      }
      List<Records.Record> with = new ArrayList<>();
      DecodeSession.run(
          m,
          "Hello",
          plain.with(List.of(new Intervention.BanExpert(Intervention.ALL, 2))),
          with::add,
          () -> false);
      Records.Prefill p = (Records.Prefill) with.get(0);
      assertEquals(List.of("ban *:2"), p.interventions());
      int tokens = 0;
      for (Records.Record r : with) {
        if (r instanceof Records.Token t) {
          tokens++;
          assertEquals(List.of("ban *:2"), t.interventions());
          for (Records.TokenLayer l : t.layers()) {
            assertTrue(l.router().experts()[0] != 2);
          }
          String json = TelemetryJson.toJson(t);
          assertTrue(json.contains("\"interventions\":[\"ban *:2\"]"), json);
          assertEquals(
              List.of("ban *:2"), ((Records.Token) TelemetryJson.fromJson(json)).interventions());
        }
      }
      assertEquals(6, tokens);
    }
  }

  @Test
  void aDecodeWithOneThatDoesNotFitFailsBeforeItStarts() {
    ModelConfig c = TestModels.tiny(Family.SWITCH, 32);
    try (TransformerModel m = TransformerModel.random(c, 7, root)) {
      DecodeOptions o =
          new DecodeOptions(6, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, true)
              .with(List.of(new Intervention.ForceExpert(0, 7)));
      List<Records.Record> got = new ArrayList<>();
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () -> DecodeSession.run(m, "Hello", o, got::add, () -> false));
      assertEquals("force 0:7: layer 0 has experts 0..3", e.getMessage());
      assertTrue(got.isEmpty(), "no record of a decode that did not start");
      assertNull(null);
    }
  }

  /** A model of the family with one layer's parameters zeroed (the reference of an off switch). */
  static TransformerModel zeroed(TransformerModel m, ModelConfig c, String... suffixes) {
    Map<String, float[]> v = new LinkedHashMap<>();
    for (ParameterLayout.Param p : ParameterLayout.of(c)) {
      float[] x = m.param(p.name()).toFloatArray();
      boolean zero = false;
      for (String suffix : suffixes) {
        zero |= p.name().equals("layers.0." + suffix);
      }
      v.put(p.name(), zero ? new float[x.length] : x);
    }
    return TransformerModel.fromValues(c, v, root, null);
  }

  @Test
  void forcingTheUnitsTheControllerChoosesChangesNothingAndEveryBlockOffIsNoFeedForward() {
    ModelConfig c = TestModels.tiny(Family.SPARSE_FF, 32);
    try (TransformerModel m = TransformerModel.random(c, 12, root);
        TransformerModel silent = zeroed(m, c, "ffn.w2");
        NDManager s = root.newSubManager()) {
      var opt = new TransformerModel.ForwardOptions(false, false, false, true, null);
      long[] one = {72};
      List<LayerTrace> plain = new ArrayList<>();
      float[] base = m.forward(s.create(one, new Shape(1, 1)), null, opt, plain).toFloatArray();
      int[] chosen = plain.get(0).controllerChosen;
      List<String> force = new ArrayList<>();
      for (int g = 0; g < chosen.length; g++) {
        force.add("force-unit");
        force.add("0:" + g + ":" + chosen[g]);
      }
      float[] same =
          m.forward(
                  s.create(one, new Shape(1, 1)),
                  null,
                  opt.with(of(m, force.toArray(new String[0]))),
                  null)
              .toFloatArray();
      assertTrue(maxDiff(base, same) < 1e-5, "the controller's own units, forced: the same output");
      List<LayerTrace> forced = new ArrayList<>();
      forward(m, of(m, "force-unit", "0:1:5"), forced);
      for (int t = 0; t < SEQ.length; t++) {
        assertEquals(5, forced.get(0).controllerChosen[t * chosen.length + 1], "token " + t);
      }
      List<String> off = new ArrayList<>();
      for (int g = 0; g < chosen.length; g++) {
        off.add("block-off");
        off.add("0:" + g);
      }
      float[] noFf = forward(m, of(m, off.toArray(new String[0])), null);
      assertTrue(maxDiff(noFf, forward(silent, Interventions.NONE, null)) < 1e-5, "= W2 of zeros");
    }
  }

  @Test
  void everySparseQkvModuleOffIsAZeroProjection() {
    ModelConfig c = TestModels.tiny(Family.SPARSE_QKV, 32);
    try (TransformerModel m = TransformerModel.random(c, 13, root);
        TransformerModel silent = zeroed(m, c, "attn.proj", "attn.proj_bias")) {
      List<String> off = new ArrayList<>();
      for (int i = 0; i < c.qkvModules(); i++) {
        off.add("module-off");
        off.add("0:" + i);
      }
      float[] modules = forward(m, of(m, off.toArray(new String[0])), null);
      assertTrue(maxDiff(modules, forward(silent, Interventions.NONE, null)) < 1e-5);
      assertTrue(
          maxDiff(
                  forward(m, of(m, "module-off", "0:1"), null),
                  forward(m, Interventions.NONE, null))
              > 1e-6);
      // The decode path (one take of the windows) zeroes them too, and its telemetry says so.
      DecodeOptions o =
          new DecodeOptions(4, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, true)
              .with(List.of(new Intervention.ModuleOff(0, 1)));
      List<Records.Record> got = new ArrayList<>();
      DecodeSession.run(m, "QKV", o, got::add, () -> false);
      for (Records.Record r : got) {
        if (r instanceof Records.Token t) {
          assertEquals(0f, t.layers().get(0).qkv().modules()[1]);
        }
      }
    }
  }

  @Test
  void aSparseChangeOnAModelWithoutThePartIsRefusedByName() {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(Family.TOPK, 32), 1, root)) {
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> of(m, "force-unit", "0:0:1"));
      assertEquals("force-unit 0:0:1: layer 0 of topk has no sparse feed-forward", e.getMessage());
      e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> of(m, "module-off", "*:0"));
      assertEquals("module-off *:0: no layer of topk has sparse QKV modules", e.getMessage());
    }
    try (TransformerModel m =
        TransformerModel.random(TestModels.tiny(Family.SPARSE_FF, 32), 1, root)) {
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> of(m, "force-unit", "0:9:1"));
      assertEquals("force-unit 0:9:1: layer 0 has blocks 0..7", e.getMessage());
      e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> of(m, "ban", "1:0"));
      assertEquals(
          "ban 1:0: layer 1 of sparse-ff does not route tokens to experts", e.getMessage());
    }
  }

  /** A record's JSON without its wall times (the only thing two identical decodes differ in). */
  static String untimed(Records.Record r) {
    return TelemetryJson.toJson(r)
        .replaceAll("\"latency_us\":[0-9.Ee+-]+", "")
        .replaceAll("\"timing_us\":\\{[^}]*\\}", "")
        .replaceAll("\"(wall_)?tokens_per_s\":[0-9.Ee+-]+", "");
  }

  @Test
  void interventionsTakenOutBeforeTheFirstStepGiveTheTelemetryOfADecodeWithoutThem() {
    ModelConfig c = TestModels.tiny(Family.TOPK, 32);
    try (TransformerModel m = TransformerModel.random(c, 21, root)) {
      DecodeOptions o =
          new DecodeOptions(8, new SamplingOptions(0.8, 0, 1, 3), TelemetryLevel.FULL, true);
      List<Records.Record> plain = new ArrayList<>();
      DecodeSession.run(m, "Same", o, plain::add, () -> false);
      List<Records.Record> off = new ArrayList<>();
      boolean[] given = {false};
      int[] ids = m.tokenizer().encode("Same");
      DecodeSession.run(
          m,
          ids,
          o.with(List.of()),
          off::add,
          () -> false,
          () -> {
            if (given[0]) {
              return null;
            }
            given[0] = true;
            return List.of(); // set, then nothing in force
          });
      assertEquals(plain.size(), off.size());
      for (int i = 1; i < plain.size(); i++) { // the prefill's session and ids aside, every record
        assertEquals(untimed(plain.get(i)), untimed(off.get(i)), "record " + i);
      }
    }
  }

  @Test
  void aForksOriginalBranchIsTheUninterruptedDecode() {
    ModelConfig c = TestModels.tiny(Family.SWITCH, 64);
    try (TransformerModel m = TransformerModel.random(c, 22, root)) {
      DecodeOptions o =
          new DecodeOptions(20, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, false);
      List<Records.Record> whole = new ArrayList<>();
      DecodeSession.run(m, "Fork", o, whole::add, () -> false);
      List<Integer> tokens = new ArrayList<>();
      for (Records.Record r : whole) {
        if (r instanceof Records.Token t) {
          tokens.add(t.token());
        }
      }
      int[] prompt = m.tokenizer().encode("Fork");
      int k = 6;
      int[] ids = java.util.Arrays.copyOf(prompt, prompt.length + k);
      for (int i = 0; i < k; i++) {
        ids[prompt.length + i] = tokens.get(i);
      }
      List<org.sparsityworkbench.engine.decode.Comparison.Step> steps = new ArrayList<>();
      org.sparsityworkbench.engine.decode.Comparison.run(
          m,
          new DecodeOptions(20 - k, o.sampling(), TelemetryLevel.SUMMARY, false),
          m,
          new DecodeOptions(20 - k, o.sampling(), TelemetryLevel.SUMMARY, false)
              .with(List.of(new Intervention.BanExpert(Intervention.ALL, 0))),
          ids,
          steps::add,
          () -> false);
      for (var s : steps) {
        assertEquals(tokens.get(k + s.step()), s.a().token(), "A at step " + s.step());
        for (Records.TokenLayer l : s.b().layers()) {
          assertTrue(l.router().experts()[0] != 0, "B never routes to the banned expert");
        }
      }
      assertEquals(20 - k, steps.size());
    }
  }

  @Test
  void ablatingAHeadChangesTheOutputOnlyWhenTheHeadHadWeight() {
    ModelConfig c = TestModels.tiny(Family.DENSE, 32);
    int hd = 32 / 4;
    try (TransformerModel m = TransformerModel.random(c, 23, root)) {
      Map<String, float[]> v = new LinkedHashMap<>();
      for (ParameterLayout.Param p : ParameterLayout.of(c)) {
        float[] x = m.param(p.name()).toFloatArray();
        if (p.name().equals("layers.0.attn.wo")) {
          // wo is (d, d) stored (in, out): head 1's inputs are rows hd..2hd-1; zero them.
          for (int r = hd; r < 2 * hd; r++) {
            java.util.Arrays.fill(x, r * 32, (r + 1) * 32, 0f);
          }
        }
        v.put(p.name(), x);
      }
      try (TransformerModel weightless = TransformerModel.fromValues(c, v, root, null)) {
        float[] base = forward(weightless, Interventions.NONE, null);
        assertTrue(
            maxDiff(base, forward(weightless, of(weightless, "head-off", "0:1"), null)) < 1e-6,
            "a head whose output weights are zero: nothing changes");
        assertTrue(
            maxDiff(base, forward(weightless, of(weightless, "head-off", "0:2"), null)) > 1e-5,
            "a head with weight: the output moves");
      }
    }
  }
}
