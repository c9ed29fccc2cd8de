package org.sparsityworkbench.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsityworkbench.engine.TestModels;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/** Interventions and the logit lens on imported checkpoints. */
class HfInterventionTest {
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
  @ValueSource(strings = {"mixtral", "olmoe", "qwen2_moe", "qwen3_moe", "granitemoe"})
  void aBannedExpertIsNeverChosenAndTheLastLensIsTheOutput(String model, @TempDir Path tmp)
      throws Exception {
    Path dir =
        HfFixtures.directory(
            tmp, model, false, org.sparsityworkbench.engine.io.SafeTensors.DType.F32, 1);
    try (TransformerModel m =
        HfLoader.load(dir, root, org.sparsityworkbench.engine.io.LoadProgress.NONE)) {
      DecodeOptions o =
          new DecodeOptions(6, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, true)
              .with(List.of(new Intervention.BanExpert(Intervention.ALL, 0)))
              .withLogitLens(true);
      List<Records.Record> got = new ArrayList<>();
      DecodeSession.run(m, "the cat sat", o, got::add, () -> false);
      int tokens = 0;
      for (Records.Record r : got) {
        if (r instanceof Records.Token t) {
          tokens++;
          assertEquals(List.of("ban *:0"), t.interventions());
          for (Records.TokenLayer l : t.layers()) {
            if (l.router() != null) {
              for (int e : l.router().experts()) {
                assertTrue(e != 0, model + " layer " + l.index() + " chose the banned expert");
              }
            }
          }
          assertEquals(
              t.top().getFirst().token(),
              t.layers().getLast().lens().getFirst().token(),
              model + ": the last layer's lens is the output");
        }
      }
      assertEquals(6, tokens);
    }
  }
}
