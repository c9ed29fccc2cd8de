package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryJson;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/** The logit lens in the token records, for every family. */
class LogitLensTest {
  static NDManager root;

  @BeforeAll
  static void start() {
    root = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void everyLayerReadsAPredictionAndTheLastIsTheModelsOwn(Family family) {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(family, 32), 3, root)) {
      DecodeOptions o =
          new DecodeOptions(5, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, true);
      List<Records.Record> with = new ArrayList<>();
      DecodeSession.run(m, "Lens", o.withLogitLens(true), with::add, () -> false);
      List<Records.Record> without = new ArrayList<>();
      DecodeSession.run(m, "Lens", o, without::add, () -> false);
      int tokens = 0;
      for (int i = 0; i < with.size(); i++) {
        if (!(with.get(i) instanceof Records.Token t)) {
          continue;
        }
        tokens++;
        Records.Token plain = (Records.Token) without.get(i);
        assertEquals(plain.token(), t.token(), "the lens changes nothing it reads");
        for (Records.TokenLayer l : t.layers()) {
          assertEquals(3, l.lens().size());
          double sum = 0;
          for (Records.TopToken x : l.lens()) {
            assertTrue(x.p() >= 0 && x.p() <= 1);
            sum += x.p();
          }
          assertTrue(sum <= 1 + 1e-9);
        }
        Records.TopToken last = t.layers().getLast().lens().getFirst();
        assertEquals(t.top().getFirst().token(), last.token(), "the last layer is the output");
        assertEquals(t.top().getFirst().p(), last.p(), 1e-6);
        assertTrue(TelemetryJson.toJson(t).contains("\"lens\":[{\"token\""));
        for (Records.TokenLayer l : plain.layers()) {
          assertNull(l.lens());
        }
        assertFalse(TelemetryJson.toJson(plain).contains("lens"));
      }
      assertEquals(5, tokens);
    }
  }
}
