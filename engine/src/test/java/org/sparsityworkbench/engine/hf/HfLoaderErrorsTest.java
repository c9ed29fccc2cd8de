package org.sparsityworkbench.engine.hf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.io.SafeTensors;

/** A bad Hugging Face directory is a clear error naming the file and the key or tensor. */
class HfLoaderErrorsTest {
  static NDManager root;
  @TempDir Path tmp;

  @BeforeAll
  static void engine() {
    Engines.pytorch();
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    root.close();
  }

  private Path mixtral(int shards) throws Exception {
    return HfFixtures.directory(tmp, "mixtral", false, SafeTensors.DType.F32, shards);
  }

  private static String fails(Path dir) {
    return assertThrows(ModelFormatException.class, () -> Models.load(dir, root).close())
        .getMessage();
  }

  private static void assertMentions(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "'" + message + "' should mention '" + p + "'");
    }
  }

  private static void edit(Path file, String from, String to) throws Exception {
    String s = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(s.contains(from), file + " holds " + from);
    Files.writeString(file, s.replace(from, to), StandardCharsets.UTF_8);
  }

  @Test
  void unknownModelTypeListsTheSupportedOnes() throws Exception {
    Path dir = mixtral(1);
    edit(dir.resolve("config.json"), "\"mixtral\"", "\"deepseek_v3\"");
    assertMentions(
        fails(dir), "config.json", "model_type", "deepseek_v3", "mixtral", "olmoe", "granitemoe");
  }

  @Test
  void aMissingShardIsNamed() throws Exception {
    Path dir = mixtral(2);
    Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
    assertMentions(fails(dir), "model-00002-of-00002.safetensors", "missing shard", "index");
  }

  @Test
  void anIndexNamingATensorNoShardHoldsIsNamed() throws Exception {
    Path dir = mixtral(2);
    Path index = dir.resolve("model.safetensors.index.json");
    String s = Files.readString(index);
    Files.writeString(
        index,
        s.replace(
            "\"weight_map\":{",
            "\"weight_map\":{\"model.layers.9.ghost.weight\":\"model-00001-of-00002.safetensors\","));
    assertMentions(fails(dir), "model.layers.9.ghost.weight", "does not hold it");
  }

  @Test
  void aTensorWhoseShapeDisagreesWithTheConfigIsNamed() throws Exception {
    Path dir = mixtral(1);
    Path f = dir.resolve("model.safetensors");
    List<SafeTensors.Tensor> ts = new ArrayList<>();
    for (SafeTensors.Tensor t : SafeTensors.read(f).tensors().values()) {
      if (t.name().equals("model.layers.1.self_attn.k_proj.weight")) {
        float[] v = t.toFloats();
        t = SafeTensors.Tensor.ofFloats(t.name(), new long[] {t.shape()[1], t.shape()[0]}, v);
      }
      ts.add(t);
    }
    SafeTensors.write(f, ts, Map.of());
    assertMentions(
        fails(dir),
        "model.layers.1.self_attn.k_proj.weight",
        "shape [32, 16]",
        "expected [16, 32]");
  }

  @Test
  void aMissingTensorIsNamed() throws Exception {
    Path dir = mixtral(1);
    Path f = dir.resolve("model.safetensors");
    List<SafeTensors.Tensor> ts = new ArrayList<>(SafeTensors.read(f).tensors().values());
    ts.removeIf(t -> t.name().equals("model.layers.0.block_sparse_moe.experts.3.w2.weight"));
    SafeTensors.write(f, ts, Map.of());
    assertMentions(fails(dir), "model.layers.0.block_sparse_moe.experts.3.w2.weight", "missing");
  }

  @Test
  void aTokenizerLargerThanTheEmbeddingIsRefused() throws Exception {
    Path dir = mixtral(1);
    edit(dir.resolve("config.json"), "\"vocab_size\": 298", "\"vocab_size\": 290");
    assertMentions(fails(dir), "tokenizer.json", "298 tokens", "290 rows", "vocab_size");
  }

  @Test
  void aCorruptTokenizerIsNamed() throws Exception {
    Path dir = mixtral(1);
    Path tok = dir.resolve("tokenizer.json");
    byte[] b = Files.readAllBytes(tok);
    Files.write(tok, java.util.Arrays.copyOf(b, b.length / 2));
    assertMentions(fails(dir), "tokenizer.json", "not valid JSON");
  }

  @Test
  void anUnsupportedRopeTypeIsNamed() throws Exception {
    Path dir = mixtral(1);
    edit(
        dir.resolve("config.json"),
        "\"vocab_size\": 298",
        "\"vocab_size\": 298, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}");
    assertMentions(fails(dir), "config.json", "rope_scaling", "yarn");
  }

  @Test
  void loadingReportsProgressAndCanBeCancelled() throws Exception {
    Path dir = mixtral(1);
    int[] calls = {0};
    LoadProgress stop =
        new LoadProgress() {
          @Override
          public void update(long bytes, long totalBytes, int tensors, int totalTensors) {
            calls[0]++;
            assertTrue(bytes <= totalBytes && tensors <= totalTensors);
          }

          @Override
          public boolean cancelled() {
            return calls[0] >= 5;
          }
        };
    assertThrows(CancellationException.class, () -> Models.load(dir, root, stop));
    assertTrue(calls[0] == 5);
  }
}
