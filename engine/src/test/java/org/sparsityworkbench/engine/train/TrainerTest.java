package org.sparsityworkbench.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.model.TransformerModel;

class TrainerTest {
  static NDManager root;
  @TempDir Path dir;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  static final ModelConfig DENSE = ModelConfig.dense(32, 1, 2, 64, 32);

  static TrainOptions options(int steps) {
    return new TrainOptions(steps, 8, 32, 1e-2, 5, 0.01, 1.0, 7, 5, 10, 2);
  }

  Corpus corpus() throws IOException {
    Path f = dir.resolve("corpus.txt");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      b.append("the cat sat on the mat. ").append(i % 7).append(" dogs ran.\n");
    }
    Files.writeString(f, b, StandardCharsets.UTF_8);
    return Corpus.read(f, 32);
  }

  List<String> train(Path out, ModelConfig c, int steps, int stopAfter) throws Exception {
    Trainer t = Trainer.open(c, options(steps), corpus(), out, false, root);
    t.run(p -> {}, stopAfter);
    List<String> csv = t.csv();
    t.model().close();
    return csv;
  }

  static double loss(String row) {
    return Double.parseDouble(row.split(",")[1]);
  }

  @Test
  void aShortRunLowersTheLossAndTheSameSeedRepeatsTheCurve() throws Exception {
    List<String> a = train(dir.resolve("a"), DENSE, 30, Integer.MAX_VALUE);
    List<String> b = train(dir.resolve("b"), DENSE, 30, Integer.MAX_VALUE);
    assertEquals(7, a.size(), "header + a row every 5 steps");
    assertTrue(loss(a.getLast()) < loss(a.get(1)) - 0.5, a.toString());
    assertEquals(a, b, "same seed, same curve");
    assertTrue(Files.isRegularFile(dir.resolve("a").resolve("training.csv")));
  }

  @Test
  void killAndResumeGivesTheUninterruptedCurveAndWeights() throws Exception {
    Path whole = dir.resolve("whole");
    List<String> expected = train(whole, DENSE, 20, Integer.MAX_VALUE);
    Path split = dir.resolve("split");
    train(split, DENSE, 20, 13); // "killed" after step 13: last checkpoint is step 10
    Trainer resumed = Trainer.open(DENSE, options(20), corpus(), split, true, root);
    assertEquals(10, resumed.step());
    resumed.run(p -> {}, Integer.MAX_VALUE);
    assertEquals(expected, resumed.csv());
    try (TransformerModel a = TransformerModel.load(whole.resolve(Trainer.CHECKPOINT), root)) {
      for (String name : a.params().keySet()) {
        assertArrayEquals(
            a.param(name).toFloatArray(), resumed.model().param(name).toFloatArray(), name);
      }
    }
    resumed.model().close();
  }

  /** Megabyte: patches of 4 over 32 bytes, a Switch global model (its routing in the CSV). */
  static final org.sparsityworkbench.engine.config.MegabyteConfig MEGABYTE =
      org.sparsityworkbench.engine.config.MegabyteConfig.of(
          32,
          4,
          8,
          ModelConfig.moe(
              org.sparsityworkbench.engine.config.Family.SWITCH, 32, 1, 2, 64, 8, 4, 1, 1.25),
          16,
          1,
          2,
          32);

  @Test
  void aMegabyteRunLowersTheLossResumesExactlyAndReadsBackAsAModel() throws Exception {
    Path whole = dir.resolve("mb-whole");
    Trainer t = Trainer.open(MEGABYTE, options(20), corpus(), whole, false, root);
    t.run(p -> {}, Integer.MAX_VALUE);
    List<String> expected = t.csv();
    assertTrue(expected.getFirst().contains("load_l0_e3"), "the global model's routing columns");
    assertTrue(loss(expected.getLast()) < loss(expected.get(1)) - 0.5, expected.toString());
    t.megabyte().close();
    Path split = dir.resolve("mb-split");
    Trainer killed = Trainer.open(MEGABYTE, options(20), corpus(), split, false, root);
    killed.run(p -> {}, 13);
    killed.megabyte().close();
    Trainer resumed = Trainer.open(MEGABYTE, options(20), corpus(), split, true, root);
    assertEquals(10, resumed.step());
    resumed.run(p -> {}, Integer.MAX_VALUE);
    assertEquals(expected, resumed.csv());
    try (var a =
        org.sparsityworkbench.engine.model.MegabyteModel.load(
            whole.resolve(Trainer.CHECKPOINT), root)) {
      for (String name : a.params().keySet()) {
        assertArrayEquals(
            a.params().get(name).toFloatArray(),
            resumed.megabyte().params().get(name).toFloatArray(),
            name);
      }
    }
    resumed.megabyte().close();
    assertThrows(
        IOException.class,
        () -> Trainer.open(DENSE, options(20), corpus(), split, true, root),
        "another model's run");
  }

  @Test
  void weightDecaySparesTablesNormsBiasesAndPads() {
    for (String name :
        List.of(
            "embed.weight",
            "pos_embed.weight",
            "layers.0.attn_norm.weight",
            "layers.0.attn.proj_bias",
            "megabyte.byte_embed",
            "megabyte.byte_pos",
            "megabyte.global_pad",
            "megabyte.local_pad",
            "local.embed.weight",
            "global.final_norm.weight")) {
      assertFalse(Trainer.decays(name), name);
    }
    for (String name :
        List.of("layers.0.attn.wqkv", "global.layers.0.ffn.w1", "megabyte.global_to_local")) {
      assertTrue(Trainer.decays(name), name);
    }
  }

  @Test
  void aCheckpointInterruptedMidWriteNeverReplacesTheLastGoodOne() throws Exception {
    Path out = dir.resolve("run");
    train(out, DENSE, 20, 12); // checkpoint at step 10
    // A later checkpoint died half-written: temporary folder with a torn weights file, no state.
    Path tmp = out.resolve("checkpoint.tmp");
    Files.createDirectories(tmp);
    Files.write(tmp.resolve("model.safetensors"), new byte[] {1, 2, 3});
    Trainer t = Trainer.open(DENSE, options(20), corpus(), out, true, root);
    assertEquals(10, t.step());
    t.model().close();
    // Killed between the two renames: only checkpoint.old is left.
    Files.move(out.resolve(Trainer.CHECKPOINT), out.resolve("checkpoint.old"));
    Trainer again = Trainer.open(DENSE, options(20), corpus(), out, true, root);
    assertEquals(10, again.step());
    again.run(p -> {}, Integer.MAX_VALUE);
    assertEquals(20, again.step());
    assertFalse(Files.exists(out.resolve("checkpoint.old")));
    again.model().close();
  }

  @Test
  void moeTrainingIsDeterministicAndRecordsExpertLoadAndRouterEntropy() throws Exception {
    ModelConfig c = ModelConfig.moe(Family.TOPK, 32, 1, 2, 64, 32, 4, 2, 1.25);
    List<String> csv = train(dir.resolve("moe"), c, 10, Integer.MAX_VALUE);
    assertEquals(csv, train(dir.resolve("moe-again"), c, 10, Integer.MAX_VALUE), "deterministic");
    assertTrue(
        csv.getFirst().contains("load_l0_e3") && csv.getFirst().contains("router_entropy_l0"));
    String[] row = csv.get(1).split(",");
    double load = 0;
    for (int e = 0; e < 4; e++) {
      load += Double.parseDouble(row[4 + e]);
    }
    assertEquals(1.0, load, 1e-3, "load fractions sum to 1");
    assertFalse(csv.getLast().contains("NaN"), csv.getLast());
  }

  /**
   * Regression: the router losses once multiplied by Java scalars, which DJL frees while autograd
   * still needs them; gradients then read freed memory and changed from call to call.
   */
  @Test
  void moeGradientsWithRouterLossesAreReproducible() {
    ModelConfig c = ModelConfig.moe(Family.SWITCH, 128, 2, 4, 512, 128, 8, 1, 1.25);
    try (TransformerModel m = TransformerModel.random(c, 3, root)) {
      m.params().values().forEach(p -> p.setRequiresGradient(true));
      long[] tokens = new long[16 * 128];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = (i * 37) % 256;
      }
      double first = Double.NaN;
      for (int rep = 0; rep < 4; rep++) {
        double norm = 0;
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
          scope.suppressNotUsedWarning();
          java.util.List<ai.djl.ndarray.NDArray> aux = new java.util.ArrayList<>();
          try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            var opt =
                new TransformerModel.ForwardOptions(
                    true, true, false, true, new java.util.Random(1), aux);
            var x = root.create(tokens, new ai.djl.ndarray.types.Shape(16, 128));
            var loss = m.forward(x, null, opt, null).logSoftmax(-1).mean().neg();
            for (var a : aux) {
              loss = loss.add(a);
            }
            gc.backward(loss);
          }
          for (var p : m.params().values()) {
            var g = p.getGradient();
            norm += g.square().sum().getFloat();
            g.subi(g);
          }
        }
        System.gc();
        if (rep == 0) {
          first = norm;
        } else {
          assertEquals(first, norm, 0.0, "gradient norm of repetition " + rep);
        }
      }
      assertTrue(Double.isFinite(first) && first > 0);
      m.params().values().forEach(p -> p.setRequiresGradient(false));
    }
  }

  @Test
  void sparseFamiliesTrain() throws Exception {
    for (Family f : List.of(Family.SPARSE_FF, Family.SPARSE_FFQKV)) {
      ModelConfig c = ModelConfig.sparse(f, 32, 1, 2, 64, 32, 8, 8, 4, 3);
      List<String> csv = train(dir.resolve(f.id()), c, 20, Integer.MAX_VALUE);
      assertTrue(loss(csv.getLast()) < loss(csv.get(1)), f + ": " + csv);
    }
  }

  @Test
  void badInputIsAClearErrorAndOverwritesNothing() throws Exception {
    Path empty = dir.resolve("empty.txt");
    Files.writeString(empty, "");
    var e1 = assertThrows(IOException.class, () -> Corpus.read(empty, 32));
    assertTrue(e1.getMessage().contains("empty.txt") && e1.getMessage().contains("empty"));
    var e2 = assertThrows(IOException.class, () -> Corpus.read(dir.resolve("nope"), 32));
    assertTrue(e2.getMessage().contains("nope"));
    Path small = dir.resolve("small.txt");
    Files.writeString(small, "too short for a batch");
    var e3 = assertThrows(IOException.class, () -> Corpus.read(small, 32));
    assertTrue(e3.getMessage().contains("small.txt"), e3.getMessage());

    Path out = dir.resolve("taken");
    train(out, DENSE, 5, Integer.MAX_VALUE);
    byte[] before = Files.readAllBytes(out.resolve("checkpoint").resolve("model.safetensors"));
    var e4 =
        assertThrows(
            IOException.class, () -> Trainer.open(DENSE, options(5), corpus(), out, false, root));
    assertTrue(e4.getMessage().contains("--resume"), e4.getMessage());
    ModelConfig other = ModelConfig.dense(32, 2, 2, 64, 32);
    var e5 =
        assertThrows(
            IOException.class, () -> Trainer.open(other, options(5), corpus(), out, true, root));
    assertTrue(e5.getMessage().contains("differs"), e5.getMessage());
    assertArrayEquals(
        before, Files.readAllBytes(out.resolve("checkpoint").resolve("model.safetensors")));
  }
}
