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

  /** The test JVM has the Vector API (surefire's argLine), so the Java decode step is tested. */
  @Test
  void theJavaDecodeStepIsInUseUnderTheTestJvm() {
    assertTrue(
        SparseFeedForward.VECTOR_API, "surefire must pass --add-modules jdk.incubator.vector");
    ModelConfig c = TestModels.tiny(Family.SPARSE_FF, 16);
    try (TransformerModel model = TransformerModel.random(c, 9, root)) {
      assertTrue(model.sparseFeedForward(0).javaDecode(), "the model's layers bind the Java path");
    }
  }

  /**
   * The Java decode step (one token at a time) against the dense-times-mask reference, for the
   * shapes of {@link #gatherPathEqualsDenseTimesMask} and sizes that are not multiples of the
   * vector length: with given chosen units, and with the units its own controller chooses.
   */
  @ParameterizedTest
  @CsvSource({
    "32,4,8",
    "64,8,8",
    "128,16,32",
    "256,32,32",
    "128,64,8",
    "13,4,3",
    "100,5,7",
    "130,10,13",
    "257,3,9",
    "1024,32,128"
  })
  void javaDecodeStepEqualsDenseTimesMask(int d, int blockSize, int rank) {
    int f = 4 * d - (4 * d) % blockSize;
    int blocks = f / blockSize;
    Random rng = new Random(d * 131L + blockSize);
    try (NDManager m = root.newSubManager()) {
      SparseFeedForward ff = randomLayer(m, d, f, rank, blockSize, 0.1f);
      assertTrue(ff.javaDecode(), "Java path bound for d=" + d + " N=" + blockSize);
      for (int t = 0; t < 4; t++) {
        float[] x = gaussian(rng, d);
        NDArray xa = m.create(x, new Shape(1, d));
        // Given units.
        int[] given = new int[blocks];
        long[] givenLong = new long[blocks];
        for (int g = 0; g < blocks; g++) {
          given[g] = rng.nextInt(blockSize);
          givenLong[g] = given[g];
        }
        float[] ref = Floats.of(ff.masked(xa, m.create(givenLong, new Shape(1, blocks))));
        assertNotTrivial(ref);
        assertClose(ref, ff.javaGathered(x, given), "given units d=" + d + " N=" + blockSize);
        // The controller's own units; the reference applies the same ones.
        int[] chosen = new int[blocks];
        float[] y = ff.javaDecode(x, chosen);
        long[] chosenLong = new long[blocks];
        for (int g = 0; g < blocks; g++) {
          chosenLong[g] = chosen[g];
        }
        float[] ref2 = Floats.of(ff.masked(xa, m.create(chosenLong, new Shape(1, blocks))));
        assertClose(ref2, y, "controller units d=" + d + " N=" + blockSize);
        // And the NDArray entry point gives the same values.
        assertClose(ref2, Floats.of(ff.decode(xa)), "decode() d=" + d + " N=" + blockSize);
      }
    }
  }

  /**
   * The Java decode step against the DJL path on random weights: controller logits, chosen units
   * (except where two logits of a block are within rounding of each other), output and telemetry.
   */
  @ParameterizedTest
  @CsvSource({
    "64,8,8",
    "96,16,24",
    "100,4,10",
    "130,13,7",
    "250,50,5",
    "512,32,64",
    "33,33,1",
    "24,2,48"
  })
  void javaDecodeStepMatchesTheDjlPathOnRandomWeights(int d, int blockSize, int rank) {
    int f = 4 * d - (4 * d) % blockSize;
    int blocks = f / blockSize;
    Random rng = new Random(d * 7L + blockSize * 3L + rank);
    try (NDManager m = root.newSubManager()) {
      SparseFeedForward ff = randomLayer(m, d, f, rank, blockSize, 0.1f);
      int compared = 0;
      for (int t = 0; t < 6; t++) {
        float[] x = gaussian(rng, d);
        NDArray xa = m.create(x, new Shape(1, d));
        float[] djlLogits = Floats.of(ff.controllerLogits(xa));
        float[] javaLogits = ff.javaControllerLogits(x);
        for (int i = 0; i < f; i++) {
          assertEquals(
              djlLogits[i],
              javaLogits[i],
              1e-5 * Math.max(1, Math.abs(djlLogits[i])),
              "logit " + i + " d=" + d + " N=" + blockSize);
        }
        int[] djlUnits = SparseFeedForward.blockArgmax(djlLogits, blockSize);
        int[] javaUnits = new int[blocks];
        float[] javaY = ff.javaDecode(x, javaUnits);
        boolean same = java.util.Arrays.equals(djlUnits, javaUnits);
        if (!same) {
          // Only a near tie may choose differently.
          for (int g = 0; g < blocks; g++) {
            if (djlUnits[g] != javaUnits[g]) {
              float gap =
                  djlLogits[g * blockSize + djlUnits[g]] - djlLogits[g * blockSize + javaUnits[g]];
              assertTrue(Math.abs(gap) < 1e-5, "block " + g + " differs by " + gap);
            }
          }
          continue;
        }
        compared++;
        assertClose(Floats.of(ff.decodeDjl(xa)), javaY, "output d=" + d + " N=" + blockSize);
        // The layer's telemetry, from forward(), as the DJL path reports it for the same logits.
        LayerTrace trace = new LayerTrace();
        ff.forward(0, xa.reshape(1, 1, d), inferencePass(), trace);
        assertArrayEquals(djlUnits, trace.controllerChosen);
        assertArrayEquals(
            SparseFeedForward.confidences(djlLogits, djlUnits, blockSize),
            trace.controllerConfidence,
            1e-5f);
        assertTrue(trace.controllerNanos > 0);
      }
      assertTrue(compared >= 5, "too many near ties: " + compared);
    }
  }

  /**
   * The Java path reads the tensors' own memory, not a copy: an in-place update (as the trainer's
   * optimizer makes) is seen at once; once the weights are closed it is an error, not a crash.
   */
  @Test
  void javaPathReadsTheWeightsInPlaceAndRefusesClosedOnes() {
    int d = 40;
    int blockSize = 4;
    int f = 4 * d;
    int blocks = f / blockSize;
    Random rng = new Random(11);
    NDManager m = root.newSubManager();
    NDArray w2 = m.randomNormal(0, 0.1f, new Shape(f, d), DataType.FLOAT32);
    SparseFeedForward ff =
        new SparseFeedForward(
            m.randomNormal(0, 0.2f, new Shape(d, 8), DataType.FLOAT32),
            m.randomNormal(0, 0.5f, new Shape(8, f), DataType.FLOAT32),
            m.zeros(new Shape(f)),
            m.randomNormal(0, 0.1f, new Shape(f, d), DataType.FLOAT32),
            w2,
            blockSize);
    assertTrue(ff.javaDecode());
    float[] x = gaussian(rng, d);
    int[] chosen = new int[blocks];
    float[] before = ff.javaDecode(x, chosen);
    w2.muli(m.create(2f));
    float[] after = ff.javaGathered(x, chosen);
    for (int i = 0; i < d; i++) {
      assertEquals(2 * before[i], after[i], 1e-5, "index " + i);
    }
    m.close();
    assertThrows(IllegalStateException.class, () -> ff.javaGathered(x, chosen));
  }

  /** Prefill (several tokens) stays on the DJL path and agrees with one-token Java steps. */
  @Test
  void prefillAndJavaStepsAgreeTokenByToken() {
    int d = 72;
    int blockSize = 8;
    int f = 4 * d;
    Random rng = new Random(3);
    try (NDManager m = root.newSubManager()) {
      SparseFeedForward ff = randomLayer(m, d, f, 12, blockSize, 0.1f);
      int n = 5;
      float[] xs = gaussian(rng, n * d);
      float[] batch = Floats.of(ff.decode(m.create(xs, new Shape(n, d))));
      for (int t = 0; t < n; t++) {
        float[] x = java.util.Arrays.copyOfRange(xs, t * d, (t + 1) * d);
        float[] one = Floats.of(ff.decode(m.create(x, new Shape(1, d))));
        assertClose(java.util.Arrays.copyOfRange(batch, t * d, (t + 1) * d), one, "token " + t);
      }
    }
  }

  private static Pass inferencePass() {
    return new Pass(null, 0, 1, null, null, TransformerModel.ForwardOptions.inference(false));
  }

  private static SparseFeedForward randomLayer(
      NDManager m, int d, int f, int rank, int blockSize, float scale) {
    NDArray w1 = m.randomNormal(0, scale, new Shape(f, d), DataType.FLOAT32);
    NDArray w2 = m.randomNormal(0, scale, new Shape(f, d), DataType.FLOAT32);
    // Logits of order 1: near ties stay rare, rounding stays small.
    NDArray a = m.randomNormal(0, (float) (1 / Math.sqrt(d)), new Shape(d, rank), DataType.FLOAT32);
    NDArray b =
        m.randomNormal(0, (float) (2 / Math.sqrt(rank)), new Shape(rank, f), DataType.FLOAT32);
    NDArray bias = m.randomNormal(0, 0.1f, new Shape(f), DataType.FLOAT32);
    return new SparseFeedForward(a, b, bias, w1, w2, blockSize);
  }

  private static float[] gaussian(Random rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return v;
  }

  private static void assertNotTrivial(float[] ref) {
    double maxAbs = 0;
    for (float v : ref) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    assertTrue(maxAbs > 1e-3, "the reference must not be trivially zero");
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5, what + " index " + i);
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

  /** The vector argmax of the Java decode step follows the scalar (PyTorch) rule exactly. */
  @Test
  void vectorBlockArgmaxAgreesWithTheScalarRule() {
    Random r = new Random(8);
    for (int rep = 0; rep < 400; rep++) {
      int blocks = 1 + r.nextInt(6);
      int size = new int[] {4, 8, 16, 32, 64, 5, 24}[rep % 7];
      float[] v = new float[blocks * size];
      for (int i = 0; i < v.length; i++) {
        v[i] = rep % 3 == 0 ? r.nextInt(3) : (float) r.nextGaussian();
        if (rep % 5 == 0 && r.nextInt(20) == 0) {
          v[i] = Float.NaN;
        }
        if (rep % 7 == 1 && r.nextInt(10) == 0) {
          v[i] = r.nextBoolean() ? -0.0f : Float.POSITIVE_INFINITY;
        }
      }
      assertArrayEquals(
          SparseFeedForward.blockArgmax(v, size),
          SparseFfKernel.blockArgmax(v, size),
          "rep " + rep + " size " + size);
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
