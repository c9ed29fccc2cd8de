package org.sparsityworkbench.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;

/** The sparse feed-forward: gather path against the dense-times-mask reference, and training. */
class SparseFeedForwardTest {
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  /** trax's test_sparse_ff_predict_equals_eval, our own: the decode path equals the reference. */
  @ParameterizedTest
  @CsvSource({"32,4", "64,8", "128,16", "256,32", "128,64"})
  void gatherPathEqualsDenseTimesMask(int d, int blockSize) {
    int f = 4 * d;
    int n = 5;
    int blocks = f / blockSize;
    Random rng = new Random(d * 31L + blockSize);
    try (NDManager m = root.newSubManager()) {
      NDArray x = m.randomNormal(new Shape(n, d));
      NDArray w1 = m.randomNormal(0, 0.1f, new Shape(f, d), DataType.FLOAT32);
      NDArray w2 = m.randomNormal(0, 0.1f, new Shape(f, d), DataType.FLOAT32);
      long[] chosen = new long[n * blocks];
      for (int i = 0; i < chosen.length; i++) {
        chosen[i] = rng.nextInt(blockSize);
      }
      NDArray zeros = m.zeros(new Shape(1));
      SparseFeedForward ff = new SparseFeedForward(zeros, zeros, zeros, w1, w2, blockSize);
      NDArray picked = m.create(chosen, new Shape(n, blocks));
      NDArray gathered = ff.gathered(x, picked);
      NDArray reference = ff.masked(x, picked);
      float[] a = Floats.of(gathered);
      float[] b = Floats.of(reference);
      assertEquals(n * d, a.length);
      double maxAbs = 0;
      for (float v : b) {
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
      assertTrue(maxAbs > 1e-3, "the reference must not be trivially zero");
      for (int i = 0; i < a.length; i++) {
        assertEquals(b[i], a[i], 1e-5, "d=" + d + " N=" + blockSize + " index " + i);
      }
    }
  }

  @Test
  void modelDecodeUsesTheArgmaxOfTheController() {
    ModelConfig c = TestModels.tiny(Family.SPARSE_FF, 16);
    try (TransformerModel model = TransformerModel.random(c, 9, root);
        NDManager m = root.newSubManager()) {
      NDArray x = m.randomNormal(new Shape(3, c.dModel()));
      NDArray logits = model.sparseFeedForward(0).controllerLogits(x); // (3, blocks, N)
      long[] argmax = logits.argMax(-1).toLongArray();
      List<LayerTrace> traces = new ArrayList<>();
      var opt = TransformerModel.ForwardOptions.inference(false);
      model.forward(m.create(new long[] {1, 2, 3}, new Shape(1, 3)), null, opt, traces);
      int[] chosen = traces.getFirst().controllerChosen;
      assertEquals(3 * c.blocks(), chosen.length);
      for (int v : chosen) {
        assertTrue(v >= 0 && v < c.blockSize());
      }
      assertEquals(3 * c.blocks(), argmax.length);
      for (float p : traces.getFirst().controllerConfidence) {
        assertTrue(p >= 1.0 / c.blockSize() - 1e-6 && p <= 1 + 1e-6, "argmax prob " + p);
      }
    }
  }

  @Test
  void javaBlockArgmaxAgreesWithPyTorchIncludingTies() {
    java.util.Random r = new java.util.Random(5);
    try (NDManager m = root.newSubManager()) {
      for (int rep = 0; rep < 50; rep++) {
        int blocks = 1 + r.nextInt(8);
        int size = 1 + r.nextInt(40);
        float[] v = new float[blocks * size];
        for (int i = 0; i < v.length; i++) {
          // Coarse values half of the time: many ties.
          v[i] = rep % 2 == 0 ? r.nextInt(3) : (float) r.nextGaussian();
        }
        long[] torch = m.create(v, new Shape(blocks, size)).argMax(-1).toLongArray();
        int[] java = SparseFeedForward.blockArgmax(v, size);
        for (int g = 0; g < blocks; g++) {
          assertEquals(torch[g], java[g], "rep " + rep + " block " + g);
        }
      }
      float[] nan = {1f, Float.NaN, 5f, 2f};
      assertEquals(
          m.create(nan, new Shape(1, 4)).argMax(-1).toLongArray()[0],
          SparseFeedForward.blockArgmax(nan, 4)[0],
          "NaN");
    }
  }

  /** Straight-through: forward uses the one-hot mask, gradients reach the controller. */
  @Test
  void controllerReceivesGradientsThroughTheStraightThroughEstimator() {
    ModelConfig base = TestModels.tiny(Family.SPARSE_FF, 16);
    // quant_prob 1: always the quantised mask; temperature 0: the mask is the argmax.
    ModelConfig c =
        new ModelConfig(
            Family.SPARSE_FF,
            256,
            base.dModel(),
            1,
            base.nHeads(),
            base.dFf(),
            16,
            1e-5,
            0,
            0,
            0,
            0,
            0,
            0,
            base.blockSize(),
            base.controllerRank(),
            0.0,
            1.0,
            0,
            0);
    try (TransformerModel model = TransformerModel.random(c, 4, root);
        NDManager m = root.newSubManager()) {
      NDArray tokens = m.create(new long[] {5, 6, 7, 8}, new Shape(1, 4));
      var eval = new TransformerModel.ForwardOptions(false, false, false, true, null);
      float[] inference = Floats.of(model.forward(tokens, null, eval, null));
      NDArray a = model.param("layers.0.ffn.ctrl_a");
      NDArray b = model.param("layers.0.ffn.ctrl_b");
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        var train = new TransformerModel.ForwardOptions(true, false, false, true, new Random(1));
        NDArray logits = model.forward(tokens, null, train, null);
        assertArrayEquals(inference, Floats.of(logits), 1e-5f, "forward value is the argmax mask");
        gc.backward(logits.logSoftmax(-1).get("0, :, 65").sum().neg());
      }
      double ga = a.getGradient().abs().sum().getFloat();
      double gb = b.getGradient().abs().sum().getFloat();
      assertTrue(ga > 0, "gradient of ctrl_a");
      assertTrue(gb > 0, "gradient of ctrl_b");
      a.setRequiresGradient(false);
      b.setRequiresGradient(false);
    }
  }

  @Test
  void badSparseConfigurationsAreClearErrors() {
    var e1 =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelConfig.sparse(Family.SPARSE_FF, 32, 1, 4, 60, 16, 8, 8, 0, 0));
    assertTrue(e1.getMessage().contains("block_size") && e1.getMessage().contains("d_ff"));
    var e2 =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelConfig.sparse(Family.SPARSE_FFQKV, 32, 1, 4, 64, 16, 8, 8, 5, 3));
    assertTrue(e2.getMessage().contains("qkv_modules") && e2.getMessage().contains("d_model"));
    var e3 =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelConfig.sparse(Family.SPARSE_QKV, 32, 1, 4, 64, 16, 0, 0, 4, 0));
    assertTrue(e3.getMessage().contains("conv_kernel"));
  }
}
