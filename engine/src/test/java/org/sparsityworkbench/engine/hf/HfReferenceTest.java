package org.sparsityworkbench.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.io.SafeTensors;
import org.sparsityworkbench.engine.model.Floats;
import org.sparsityworkbench.engine.model.KvCache;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.TransformerModel;

/**
 * Every imported architecture against the independent NumPy reference ({@code
 * src/test/python/hf_reference.py}, written from the transformers modeling code): logits of the
 * full forward pass, and a KV-cache decode token by token whose logits, attention rows, router
 * probabilities, chosen experts, gates and shared-expert gates all equal the reference within 1e-4;
 * in both expert layouts, in F32, F16 and BF16, single-file and sharded.
 */
class HfReferenceTest {
  static NDManager root;
  @TempDir static Path tmp;
  static final double TOL = 1e-4;

  @BeforeAll
  static void engine() {
    Engines.pytorch();
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    root.close();
  }

  static Stream<Arguments> variants() {
    List<Arguments> out = new ArrayList<>();
    for (String c : HfFixtures.CASES) {
      out.add(Arguments.of(c, false, SafeTensors.DType.F32, 1));
      out.add(Arguments.of(c, false, SafeTensors.DType.BF16, 1));
    }
    for (String c : HfFixtures.FUSED) {
      out.add(Arguments.of(c, true, SafeTensors.DType.F32, 1));
      out.add(Arguments.of(c, true, SafeTensors.DType.F16, 3));
    }
    out.add(Arguments.of("mixtral", false, SafeTensors.DType.F16, 2));
    out.add(Arguments.of("granitemoe", false, SafeTensors.DType.F16, 2));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} fused={1} {2} shards={3}")
  @MethodSource("variants")
  void logitsRoutingAndAttentionEqualTheReference(
      String model, boolean fused, SafeTensors.DType dtype, int shards) throws Exception {
    JsonObject ref = HfFixtures.reference(model);
    Path dir = HfFixtures.directory(tmp, model, fused, dtype, shards);
    long[] ids = longs(ref.getAsJsonArray("input_ids"));
    JsonArray logits = ref.getAsJsonArray("logits");
    JsonArray layers = ref.getAsJsonArray("layers");
    try (TransformerModel m = HfLoader.load(dir, root, LoadProgress.NONE)) {
      int v = m.spec().vocabSize();
      // The full forward pass, every position's logits.
      var all = new TransformerModel.ForwardOptions(false, false, false, true, null);
      float[] full =
          Floats.of(m.forward(root.create(ids, new Shape(1, ids.length)), null, all, null));
      for (int t = 0; t < ids.length; t++) {
        assertClose(floats(logits.get(t)), slice(full, t * v, v), "logits at position " + t);
      }
      // A KV-cache decode, one token at a time, with full telemetry.
      try (KvCache cache = new KvCache(root, m.spec(), ids.length)) {
        for (int t = 0; t < ids.length; t++) {
          List<LayerTrace> traces = new ArrayList<>();
          float[] step =
              Floats.of(
                  m.forward(
                      root.create(new long[] {ids[t]}, new Shape(1, 1)),
                      cache,
                      TransformerModel.ForwardOptions.inference(true),
                      traces));
          assertClose(floats(logits.get(t)), step, "decoded logits at position " + t);
          for (int l = 0; l < layers.size(); l++) {
            checkLayer(
                layers.get(l).getAsJsonObject(),
                traces.get(l),
                t,
                model + " layer " + l + " position " + t);
          }
        }
      }
    }
  }

  private static void checkLayer(JsonObject ref, LayerTrace tr, int t, String where) {
    JsonArray heads = ref.getAsJsonArray("attention");
    assertEquals(heads.size(), tr.attention.length, where + ": heads");
    for (int h = 0; h < heads.size(); h++) {
      float[] row = floats(heads.get(h).getAsJsonArray().get(t));
      assertClose(slice(row, 0, t + 1), tr.attention[h], where + ": attention of head " + h);
    }
    JsonElement router = ref.get("router");
    if (router == null || router.isJsonNull()) {
      assertNull(tr.routing, where + ": a dense layer routes nothing");
      return;
    }
    JsonObject r = router.getAsJsonObject();
    assertClose(floats(r.getAsJsonArray("probs").get(t)), tr.routerProbs, where + ": router probs");
    int[] experts = ints(r.getAsJsonArray("experts").get(t).getAsJsonArray());
    assertArrayEquals(experts, tr.routing.experts()[0], where + ": chosen experts");
    assertClose(
        floats(r.getAsJsonArray("weights").get(t)), tr.routing.gates()[0], where + ": gates");
    JsonElement shared = r.get("shared_gate");
    if (shared != null && !shared.isJsonNull()) {
      float expected = shared.getAsJsonArray().get(t).getAsFloat();
      assertEquals(expected, tr.sharedGate[0], TOL, where + ": shared expert gate");
    } else {
      assertNull(tr.sharedGate, where + ": no shared expert gate");
    }
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst <= TOL, what + ": max |difference| " + worst + " > " + TOL);
  }

  static float[] slice(float[] a, int from, int n) {
    return java.util.Arrays.copyOfRange(a, from, from + n);
  }

  static float[] floats(JsonElement e) {
    JsonArray a = e.getAsJsonArray();
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsFloat();
    }
    return out;
  }

  static int[] ints(JsonArray a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsInt();
    }
    return out;
  }

  static long[] longs(JsonArray a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsLong();
    }
    return out;
  }
}
