package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Statistics of a one-token prompt are defined (or absent), never NaN. */
class OneBytePromptTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"switch", "topk"})
  void aOneBytePromptOnAMixtureOfExpertsDecodesAsJsonLines(String family) {
    Path model = dir.resolve(family);
    CliTest.Result init =
        CliTest.run(
            "init-model",
            "--family",
            family,
            "--out",
            model.toString(),
            "--d-model",
            "32",
            "--layers",
            "2",
            "--heads",
            "4",
            "--d-ff",
            "64",
            "--context",
            "64",
            "--experts",
            "4");
    assertEquals(0, init.code(), init.err());
    CliTest.Result r =
        CliTest.run(
            "decode", "--model", model.toString(), "--prompt", "a", "--max-tokens", "3", "--jsonl");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().contains("NaN"), r.out());
    JsonObject prefill =
        JsonParser.parseString(r.out().lines().findFirst().get()).getAsJsonObject();
    JsonObject router =
        prefill.getAsJsonArray("layers").get(0).getAsJsonObject().getAsJsonObject("router");
    double z = router.get("z_loss").getAsDouble();
    assertTrue(z >= 0 && Double.isFinite(z), "the z-loss of one token: " + z);
    assertEquals(5, r.out().lines().count(), "prefill, 3 tokens, end");
  }
}
