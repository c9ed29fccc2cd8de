package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;

/** Every bundled sample model loads, and decodes 50 tokens with full telemetry. */
class SampleModelsTest {
  static List<Path> bundled() throws IOException {
    Path root = Path.of("..", "sample-models");
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> Files.isRegularFile(p.resolve(TransformerModel.CONFIG_FILE)))
          .filter(p -> !p.getFileName().toString().startsWith("random-"))
          .sorted()
          .toList();
    }
  }

  @Test
  void everyBundledModelLoadsAndDecodesFiftyTokens() throws Exception {
    List<Path> models = bundled();
    assertFalse(models.isEmpty(), "sample-models/ holds the trained models");
    Engines.pytorch();
    List<String> texts = new ArrayList<>();
    try (NDManager root = NDManager.newBaseManager()) {
      for (Path dir : models) {
        try (org.sparsityworkbench.engine.model.LanguageModel m =
            org.sparsityworkbench.engine.Models.open(
                dir, root, org.sparsityworkbench.engine.io.LoadProgress.NONE)) {
          List<Records.Record> records = new ArrayList<>();
          Records.End end =
              DecodeSession.run(
                  m,
                  "And God said",
                  new DecodeOptions(50, SamplingOptions.greedy(), TelemetryLevel.FULL, true),
                  records::add,
                  () -> false);
          assertEquals(50, end.generated(), dir.toString());
          assertEquals(52, records.size());
          texts.add(dir.getFileName() + ": " + end.text());
        }
      }
    }
    assertTrue(texts.size() == models.size(), texts.toString());
  }
}
