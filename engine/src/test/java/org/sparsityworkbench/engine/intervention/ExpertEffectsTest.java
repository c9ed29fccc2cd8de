package org.sparsityworkbench.engine.intervention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/** The effect of banning each expert alone on one token of a decode. */
class ExpertEffectsTest {
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
  @EnumSource(
      value = Family.class,
      names = {"SWITCH", "TOPK"})
  void onlyTheChosenExpertsMatterAndTheOriginalIsTheDecodesOwn(Family family) {
    try (TransformerModel m = TransformerModel.random(TestModels.tiny(family, 32), 4, root)) {
      DecodeOptions o =
          new DecodeOptions(6, new SamplingOptions(0, 0, 1, 1), TelemetryLevel.SUMMARY, true);
      List<Records.Record> records = new ArrayList<>();
      DecodeSession.run(m, "Effect", o, records::add, () -> false);
      Records.Prefill pre = (Records.Prefill) records.get(0);
      List<Integer> seq = new ArrayList<>();
      for (int id : pre.ids()) {
        seq.add(id);
      }
      Records.Token t4 = null;
      for (Records.Record r : records) {
        if (r instanceof Records.Token t && t.step() <= 4) {
          seq.add(t.token());
          t4 = t;
        }
      }
      int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
      int[] progress = {0};
      List<ExpertEffects.Effect> effects =
          ExpertEffects.of(m, ids, 1, List.of(), e -> progress[0] = e, () -> false);
      assertEquals(5, effects.size(), "the original, then 4 experts");
      assertEquals(4, progress[0]);
      assertEquals(
          t4.top().getFirst().token(), effects.get(0).top(), "the decode's own prediction");
      assertEquals(t4.top().getFirst().p(), effects.get(0).topP(), 1e-5);
      int[] chosen = t4.layers().get(1).router().experts();
      for (ExpertEffects.Effect e : effects.subList(1, 5)) {
        boolean was = false;
        for (int c : chosen) {
          was |= c == e.expert();
        }
        assertEquals(was, e.chosen(), "expert " + e.expert());
        if (was) {
          assertTrue(e.klBits() > 0, "banning a chosen expert moves the distribution");
        } else {
          assertEquals(0.0, e.klBits(), 1e-9, "banning an expert not chosen changes nothing");
          assertTrue(!e.topChanged());
        }
      }
      List<ExpertEffects.Effect> cut = ExpertEffects.of(m, ids, 1, List.of(), e -> {}, () -> true);
      assertEquals(1, cut.size(), "cancelled before the first expert: the original only");
      assertThrows(
          IllegalArgumentException.class,
          () -> ExpertEffects.of(m, ids, 5, List.of(), e -> {}, () -> false));
    }
  }
}
