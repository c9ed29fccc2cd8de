package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

class ComparisonTest {
  @Test
  void aModelAgreesWithItselfAndDiffersFromAnother() {
    try (NDManager root = TestModels.manager();
        TransformerModel dense =
            TransformerModel.random(TestModels.tiny(Family.DENSE, 64), 1, root);
        TransformerModel sparse =
            TransformerModel.random(TestModels.tiny(Family.SPARSE_FF, 64), 2, root)) {
      DecodeOptions o =
          new DecodeOptions(10, new SamplingOptions(1, 0, 1, 7), TelemetryLevel.OFF, true);
      List<Comparison.Step> same = new ArrayList<>();
      Comparison.run(dense, dense, "Hello", o, same::add, () -> false);
      assertEquals(10, same.size());
      for (Comparison.Step s : same) {
        assertTrue(s.agree());
        assertEquals(0.0, s.kl(), 1e-9);
        assertEquals(s.a().token(), s.b().token(), "same model, same seed, same token");
      }
      List<Comparison.Step> other = new ArrayList<>();
      Comparison.run(dense, sparse, "Hello", o, other::add, () -> false);
      assertTrue(other.stream().allMatch(s -> s.kl() > 0));
    }
  }

  @Test
  void klOfKnownDistributions() {
    // p = (0.5, 0.5), q = (0.25, 0.75): KL = 0.5 log2(2) + 0.5 log2(2/3) = 0.2075 bits
    float[] p = {0f, 0f};
    float[] q = {0f, (float) Math.log(3)};
    assertEquals(
        0.5 * Math.log(0.5 / 0.25) / Math.log(2) + 0.5 * Math.log(0.5 / 0.75) / Math.log(2),
        Comparison.klBits(p, q),
        1e-6);
  }
}
