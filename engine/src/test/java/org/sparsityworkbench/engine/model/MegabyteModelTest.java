package org.sparsityworkbench.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
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
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.MegabyteConfig;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;

/** Megabyte: the cached decode against the full forward, causality, files, a training step. */
class MegabyteModelTest {
  static NDManager root;

  @BeforeAll
  static void engine() {
    Engines.pytorch();
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    root.close();
  }

  /** 32 bytes in patches of 4; the global model of the family (width 4 x 8), a dense local one. */
  static MegabyteConfig tiny(Family family) {
    int context = 32;
    int p = 4;
    ModelConfig global =
        switch (family) {
          case DENSE -> ModelConfig.dense(32, 2, 4, 64, context / p);
          case SWITCH, TOPK ->
              ModelConfig.moe(
                  family, 32, 2, 4, 64, context / p, 4, family == Family.TOPK ? 2 : 1, 1.25);
          default -> ModelConfig.sparse(family, 32, 2, 4, 64, context / p, 8, 8, 4, 3);
        };
    return MegabyteConfig.of(context, p, 8, global, 16, 2, 2, 32);
  }

  static long[] bytes(int n, int seed) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = (i * 37L + seed * 11L + (i * i) % 7) % 256;
    }
    return v;
  }

  static float[] row(NDArray logits, int t) {
    return logits.get(new NDIndex().addIndices(0, t)).toFloatArray();
  }

  static void assertClose(float[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what);
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(want[i] - got[i]));
    }
    assertTrue(worst <= tol, what + ": max difference " + worst);
  }

  static final TransformerModel.ForwardOptions INFER =
      new TransformerModel.ForwardOptions(false, false, false, true, null);

  @ParameterizedTest
  @EnumSource(
      value = Family.class,
      names = {"DENSE", "SWITCH", "TOPK", "SPARSE_FF", "SPARSE_QKV", "SPARSE_FFQKV"})
  void theCachedDecodeEqualsTheFullForwardAcrossPatchBoundaries(Family family) {
    MegabyteConfig c = tiny(family);
    long[] x = bytes(31, 1);
    try (MegabyteModel model = MegabyteModel.random(c, 7, root);
        NDManager m = root.newSubManager()) {
      NDArray full = model.forward(m.create(x, new Shape(1, x.length)), INFER, null);
      // Prompts shorter than a patch, exactly one, ending mid-patch, two patches, and none.
      for (int prompt : new int[] {0, 1, 3, 4, 6, 8}) {
        try (MegabyteModel.Decoder d = model.decoder(INFER)) {
          int[] head = new int[prompt];
          for (int i = 0; i < prompt; i++) {
            head[i] = (int) x[i];
          }
          assertClose(row(full, prompt), d.prefill(head), 1e-4, family + " prefill " + prompt);
          assertEquals(prompt / c.patchSize() + 1, d.globalRuns(), "patches 0.." + prompt / 4);
          for (int t = prompt; t + 1 < x.length; t++) {
            float[] got = d.step((int) x[t]);
            int position = t + 1;
            assertClose(row(full, position), got, 1e-4, family + " step to " + position);
            assertEquals(
                position % c.patchSize() == 0, d.last().globalRan(), "global at " + position);
            assertEquals(position / c.patchSize() + 1, d.globalRuns(), "once per patch");
            assertEquals(position / c.patchSize(), d.last().patch());
            assertEquals(position % c.patchSize(), d.last().inPatch());
          }
        }
      }
    }
  }

  @Test
  void aByteInfluencesOnlyThePositionsAfterIt() {
    MegabyteConfig c = tiny(Family.DENSE);
    long[] x = bytes(32, 2);
    long[] y = x.clone();
    int changed = 9; // byte 1 of patch 2
    y[changed] = (y[changed] + 100) % 256;
    try (MegabyteModel model = MegabyteModel.random(c, 3, root);
        NDManager m = root.newSubManager()) {
      NDArray a = model.forward(m.create(x, new Shape(1, 32)), INFER, null);
      NDArray b = model.forward(m.create(y, new Shape(1, 32)), INFER, null);
      for (int t = 0; t < 32; t++) {
        float[] ra = row(a, t);
        float[] rb = row(b, t);
        double diff = 0;
        for (int i = 0; i < ra.length; i++) {
          diff = Math.max(diff, Math.abs(ra[i] - rb[i]));
        }
        if (t <= changed) {
          assertEquals(0.0, diff, 1e-6, "position " + t + " cannot see byte " + changed);
        } else {
          assertTrue(diff > 1e-6, "position " + t + " sees byte " + changed);
        }
      }
    }
  }

  @Test
  void savedAndReadBackItGivesTheSameLogits(@TempDir Path dir) throws Exception {
    MegabyteConfig c = tiny(Family.SWITCH);
    long[] x = bytes(20, 3);
    try (MegabyteModel model = MegabyteModel.random(c, 5, root);
        NDManager m = root.newSubManager()) {
      model.save(dir, Map.of());
      assertTrue(MegabyteConfig.isMegabyte(dir.resolve("config.json")));
      try (MegabyteModel read = MegabyteModel.load(dir, root)) {
        assertEquals(c, read.config());
        NDArray in = m.create(x, new Shape(1, x.length));
        assertClose(
            model.forward(in, INFER, null).toFloatArray(),
            read.forward(in, INFER, null).toFloatArray(),
            0,
            "the same weights");
      }
    }
  }

  @Test
  void badConfigurationsAreRefusedByField() {
    ModelConfig global = ModelConfig.dense(32, 1, 4, 64, 8);
    ModelConfig local = ModelConfig.dense(16, 1, 2, 32, 4);
    assertEquals(
        "context_length 30 must be a positive multiple of patch_size 4",
        assertThrows(
                IllegalArgumentException.class, () -> new MegabyteConfig(30, 4, 8, global, local))
            .getMessage());
    assertEquals(
        "global.d_model 32 must be patch_size x global_byte_dim = 4 x 16 = 64",
        assertThrows(
                IllegalArgumentException.class, () -> new MegabyteConfig(32, 4, 16, global, local))
            .getMessage());
    assertEquals(
        "global.context_length 8 must be context_length / patch_size = 16 (one position per"
            + " patch)",
        assertThrows(
                IllegalArgumentException.class, () -> new MegabyteConfig(64, 4, 8, global, local))
            .getMessage());
    ModelConfig switchLocal = ModelConfig.moe(Family.SWITCH, 16, 1, 2, 32, 4, 4, 1, 1.25);
    assertEquals(
        "local.family 'switch': the local model is dense",
        assertThrows(
                IllegalArgumentException.class,
                () -> new MegabyteConfig(32, 4, 8, global, switchLocal))
            .getMessage());
    String json = tiny(Family.DENSE).toJson().replace("\"patch_size\": 4", "\"patch_size\": 5");
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> MegabyteConfig.parse(json, "m.json"));
    assertEquals(
        "m.json: context_length 32 must be a positive multiple of patch_size 5", e.getMessage());
    ModelFormatException nested =
        assertThrows(
            ModelFormatException.class,
            () ->
                MegabyteConfig.parse(
                    tiny(Family.DENSE).toJson().replace("\"n_heads\": 2", "\"n_heads\": 3"),
                    "m.json"));
    assertTrue(nested.getMessage().startsWith("m.json, field 'local': "), nested.getMessage());
    try (MegabyteModel model = MegabyteModel.random(tiny(Family.DENSE), 1, root);
        MegabyteModel.Decoder d = model.decoder(INFER)) {
      assertThrows(IllegalArgumentException.class, () -> d.prefill(new int[32]));
      assertThrows(IllegalArgumentException.class, () -> d.prefill(new int[] {256}));
    }
  }

  @Test
  void aFewTrainingStepsLowerTheLoss() {
    MegabyteConfig c = tiny(Family.DENSE);
    long[] x = new long[4 * 32];
    for (int i = 0; i < x.length; i++) {
      x[i] = "the cat sat on the mat. ".charAt(i % 24);
    }
    try (MegabyteModel model = MegabyteModel.random(c, 9, root)) {
      for (NDArray p : model.params().values()) {
        p.setRequiresGradient(true);
      }
      List<Double> losses = new ArrayList<>();
      for (int step = 0; step < 40; step++) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDArray in = root.create(x, new Shape(4, 32));
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits =
                model.forward(
                    in, new TransformerModel.ForwardOptions(true, false, false, true, null), null);
            NDArray loss = logits.logSoftmax(-1).gather(in.expandDims(-1), -1).neg().mean();
            gc.backward(loss);
            losses.add((double) loss.getFloat());
          }
          for (NDArray p : model.params().values()) {
            NDArray g = p.getGradient();
            p.subi(g.mul(0.5f));
            g.subi(g);
          }
        }
      }
      assertTrue(
          losses.getLast() < losses.getFirst() - 1.0,
          "the loss falls: " + losses.getFirst() + " -> " + losses.getLast());
    }
  }
}
