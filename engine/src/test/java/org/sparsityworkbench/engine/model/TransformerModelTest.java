package org.sparsityworkbench.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;

class TransformerModelTest {
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  private static NDArray tokens(NDManager m, long... ids) {
    return m.create(ids, new Shape(1, ids.length));
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void kvCacheDecodeEqualsFullSequenceForward(Family family) {
    ModelConfig c = TestModels.tiny(family, 32);
    long[] seq = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10};
    int prompt = 5;
    // Capacity is not enforced here: with it, a batch's routing depends on the whole batch.
    var noCap = new TransformerModel.ForwardOptions(false, false, false, true, null);
    try (TransformerModel model = TransformerModel.random(c, 7, root);
        NDManager m = root.newSubManager()) {
      float[] full = model.forward(tokens(m, seq), null, noCap, null).toFloatArray(); // (1, T, V)
      try (KvCache cache = new KvCache(m, c)) {
        long[] head = java.util.Arrays.copyOf(seq, prompt);
        float[] pre = model.forward(tokens(m, head), cache, noCap, null).toFloatArray();
        assertClose(java.util.Arrays.copyOf(full, prompt * 256), pre, 1e-4f, "prefill");
        for (int i = prompt; i < seq.length; i++) {
          float[] step = model.forward(tokens(m, seq[i]), cache, noCap, null).toFloatArray();
          float[] want = java.util.Arrays.copyOfRange(full, i * 256, (i + 1) * 256);
          assertClose(want, step, 1e-4f, "position " + i);
        }
        assertEquals(seq.length, cache.length());
      }
    }
  }

  /**
   * The sparse QKV decode step (one take of the convolution windows, SparseQkvAttention.decodeQkv)
   * against the full-sequence forward (slices, paddings and stacks), for several module counts,
   * kernels and widths, with and without a sparse FF.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
    "SPARSE_QKV, 32, 4, 4, 3",
    "SPARSE_QKV, 48, 4, 8, 2",
    "SPARSE_QKV, 40, 2, 2, 4",
    "SPARSE_FFQKV, 64, 8, 16, 3",
    "SPARSE_QKV, 24, 3, 2, 5"
  })
  void sparseQkvDecodeStepsEqualTheFullSequence(
      Family family, int d, int heads, int modules, int kernel) {
    boolean ff = family.hasSparseFf();
    ModelConfig c =
        ModelConfig.sparse(family, d, 2, heads, 2 * d, 32, ff ? 8 : 0, ff ? 8 : 0, modules, kernel);
    long[] seq = new long[20];
    for (int i = 0; i < seq.length; i++) {
      seq[i] = (i * 37 + 11) % 256;
    }
    int prompt = 3;
    var noCap = new TransformerModel.ForwardOptions(false, false, false, true, null);
    try (TransformerModel model = TransformerModel.random(c, 13, root);
        NDManager m = root.newSubManager()) {
      float[] full = model.forward(tokens(m, seq), null, noCap, null).toFloatArray();
      try (KvCache cache = new KvCache(m, c)) {
        model.forward(tokens(m, java.util.Arrays.copyOf(seq, prompt)), cache, noCap, null);
        for (int i = prompt; i < seq.length; i++) {
          float[] step = model.forward(tokens(m, seq[i]), cache, noCap, null).toFloatArray();
          float[] want = java.util.Arrays.copyOfRange(full, i * 256, (i + 1) * 256);
          assertClose(want, step, 1e-5f, c + " position " + i);
        }
      }
    }
  }

  static void assertClose(float[] want, float[] got, float tol, String what) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      float d = Math.abs(want[i] - got[i]);
      assertTrue(d <= tol, what + ": index " + i + " differs by " + d);
    }
  }

  @Test
  void tracesCarryAttentionRowsThatSumToOne() {
    ModelConfig c = TestModels.tiny(Family.TOPK, 16);
    try (TransformerModel model = TransformerModel.random(c, 3, root);
        NDManager m = root.newSubManager();
        KvCache cache = new KvCache(m, c)) {
      model.forward(
          tokens(m, 1, 2, 3), cache, TransformerModel.ForwardOptions.inference(true), null);
      List<LayerTrace> traces = new ArrayList<>();
      model.forward(tokens(m, 4), cache, TransformerModel.ForwardOptions.inference(true), traces);
      assertEquals(2, traces.size());
      for (LayerTrace t : traces) {
        assertEquals(4, t.attention.length);
        for (float[] head : t.attention) {
          assertEquals(4, head.length, "position 3 attends to 4 keys");
          double s = 0;
          for (float w : head) {
            s += w;
          }
          assertEquals(1.0, s, 1e-5);
        }
        assertEquals(2, t.routing.experts()[0].length);
        assertEquals(1.0, t.routing.gates()[0][0] + t.routing.gates()[0][1], 1e-6);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void saveAndLoadRoundTripIsBitIdentical(Family family, @TempDir Path dir) throws Exception {
    ModelConfig c = TestModels.tiny(family, 16);
    try (TransformerModel a = TransformerModel.random(c, 11, root)) {
      a.save(dir, Map.of("note", "test"));
      byte[] first = Files.readAllBytes(dir.resolve(TransformerModel.WEIGHTS_FILE));
      try (TransformerModel b = TransformerModel.load(dir, root)) {
        assertEquals(c, b.config());
        for (ParameterLayout.Param p : ParameterLayout.of(c)) {
          assertArrayEquals(
              a.param(p.name()).toByteArray(), b.param(p.name()).toByteArray(), p.name());
        }
        Path again = dir.resolve("again");
        b.save(again, Map.of("note", "test"));
        assertArrayEquals(first, Files.readAllBytes(again.resolve(TransformerModel.WEIGHTS_FILE)));
      }
    }
  }

  @Test
  void dropsTokensBeyondCapacityInPrefillAndTheyPassThroughTheResidual() {
    // Capacity factor so small that most prompt tokens are dropped.
    ModelConfig c =
        new ModelConfig(Family.SWITCH, 256, 32, 1, 4, 64, 32, 1e-5, 4, 1, 0.25, 0, 0.01, 0.001);
    try (TransformerModel model = TransformerModel.random(c, 5, root);
        NDManager m = root.newSubManager()) {
      List<LayerTrace> traces = new ArrayList<>();
      var opt = new TransformerModel.ForwardOptions(false, true, false, true, null);
      model.forward(
          tokens(m, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), null, opt, traces);
      Router.Routing r = traces.get(0).routing;
      assertEquals(1, r.capacity(), "ceil(0.25 * 16 * 1 / 4)");
      int kept = java.util.Arrays.stream(r.load()).sum();
      assertTrue(kept <= 4);
      assertEquals(16 - kept, r.dropped());
      assertEquals(
          r.dropped(), r.droppedTokens(), "top-1: a dropped assignment is a dropped token");
    }
  }

  /**
   * The inference path of a routed batch (assignments grouped by expert, gathered back) against the
   * differentiable one (one-hot products), with capacity drops and a batch of two sequences.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"1, 1.25", "2, 1.25", "3, 0.5", "2, 8"})
  void groupedInferenceOfARoutedBatchEqualsTheDifferentiablePath(int k, double capacity) {
    ModelConfig c =
        new ModelConfig(
            k == 1 ? Family.SWITCH : Family.TOPK,
            256,
            32,
            2,
            4,
            64,
            32,
            1e-5,
            4,
            k,
            capacity,
            0,
            0.01,
            0.001);
    long[] ids = new long[2 * 12];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (i * 53 + 7) % 256;
    }
    try (TransformerModel model = TransformerModel.random(c, 3, root);
        NDManager m = root.newSubManager()) {
      NDArray batch = m.create(ids, new Shape(2, 12));
      List<LayerTrace> inferTraces = new ArrayList<>();
      float[] infer =
          model
              .forward(
                  batch,
                  null,
                  new TransformerModel.ForwardOptions(false, true, false, true, null),
                  inferTraces)
              .toFloatArray();
      // training = true without a random source: no jitter, no losses; the one-hot path.
      float[] reference =
          model
              .forward(
                  batch,
                  null,
                  new TransformerModel.ForwardOptions(true, true, false, true, null),
                  null)
              .toFloatArray();
      assertClose(reference, infer, 1e-5f, "k=" + k + " capacity " + capacity);
      if (capacity == 0.5) {
        assertTrue(inferTraces.get(0).routing.dropped() > 0, "the case with drops drops some");
      }
    }
  }

  /**
   * A whole window of {@link Attention#SPLIT_FROM} positions or more is attended in two causal
   * halves; the same window with attention collected takes the full product. Both give the same
   * logits, for every native family (the sparse QKV attention included).
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(Family.class)
  void aWindowAttendedInCausalHalvesEqualsTheFullProduct(Family family) {
    int t = (int) Attention.SPLIT_FROM + 2;
    ModelConfig c = TestModels.tiny(family, t);
    long[] ids = new long[2 * t];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (i * 89 + 3) % 256;
    }
    try (TransformerModel model = TransformerModel.random(c, 5, root);
        NDManager m = root.newSubManager()) {
      NDArray batch = m.create(ids, new Shape(2, t));
      float[] halves =
          model
              .forward(
                  batch,
                  null,
                  new TransformerModel.ForwardOptions(false, false, false, true, null),
                  null)
              .toFloatArray();
      float[] full =
          model
              .forward(
                  batch,
                  null,
                  new TransformerModel.ForwardOptions(false, false, true, true, null),
                  new ArrayList<>())
              .toFloatArray();
      assertClose(full, halves, 1e-5f, family.toString());
    }
  }

  /** The choices-only pass of corpus analysis against the full forward's traces. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(
      value = Family.class,
      names = {"SWITCH", "TOPK", "SPARSE_FF", "SPARSE_FFQKV"})
  void choicesOnlyGivesTheFullForwardsRoutingAndControllerChoices(Family family) {
    ModelConfig c = TestModels.tiny(family, 32);
    long[] ids = new long[3 * 10];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (i * 71 + 5) % 256;
    }
    var opt = new TransformerModel.ForwardOptions(false, false, false, false, null);
    try (TransformerModel model = TransformerModel.random(c, 11, root);
        NDManager m = root.newSubManager()) {
      NDArray batch = m.create(ids, new Shape(3, 10));
      List<LayerTrace> full = new ArrayList<>();
      model.forward(batch, null, opt, full);
      List<LayerTrace> only = model.choices(batch, opt);
      assertEquals(full.size(), only.size());
      for (int l = 0; l < full.size(); l++) {
        LayerTrace a = full.get(l);
        LayerTrace b = only.get(l);
        if (family.isMoe()) {
          assertTrue(
              java.util.Arrays.deepEquals(a.routing.experts(), b.routing.experts()), "layer " + l);
          assertClose(a.routerProbs, b.routerProbs, 1e-6f, "probabilities, layer " + l);
        } else {
          assertTrue(java.util.Arrays.equals(a.controllerChosen, b.controllerChosen), "layer " + l);
          assertEquals(null, b.controllerConfidence, "choices only: no telemetry-only values");
        }
      }
    }
  }

  /**
   * A sparse FF pass over many tokens (the masked dense product, SparseFeedForward.MASKED_FROM)
   * against the same sequences one by one (each a few tokens: the gathered rows).
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(
      value = Family.class,
      names = {"SPARSE_FF", "SPARSE_FFQKV"})
  void aLargeSparseBatchEqualsItsSequencesOneByOne(Family family) {
    ModelConfig c = TestModels.tiny(family, 32);
    int rows = 10;
    int len = 30; // 300 tokens: at least MASKED_FROM
    long[] ids = new long[rows * len];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (i * 29 + 3) % 256;
    }
    var opt = new TransformerModel.ForwardOptions(false, false, false, true, null);
    try (TransformerModel model = TransformerModel.random(c, 17, root);
        NDManager m = root.newSubManager()) {
      assertTrue(rows * len >= SparseFeedForward.MASKED_FROM);
      float[] batch =
          model.forward(m.create(ids, new Shape(rows, len)), null, opt, null).toFloatArray();
      for (int r = 0; r < rows; r++) {
        long[] one = java.util.Arrays.copyOfRange(ids, r * len, (r + 1) * len);
        float[] alone = model.forward(tokens(m, one), null, opt, null).toFloatArray();
        float[] want = java.util.Arrays.copyOfRange(batch, r * len * 256, (r + 1) * len * 256);
        assertClose(alone, want, 1e-5f, family + " sequence " + r);
      }
    }
  }
}
