package org.sparsityworkbench.engine.hf;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsityworkbench.engine.io.SafeTensors;

/**
 * The committed reference checkpoints ({@code src/test/resources/hf}, written by {@code
 * src/test/python/hf_reference.py}) turned into Hugging Face directories: as they are, with the
 * fused expert layout, in F16 or BF16, or split into shards with an index.
 */
final class HfFixtures {
  private HfFixtures() {}

  /** Every case with a reference. */
  static final List<String> CASES =
      List.of(
          "llama", "qwen2", "qwen3", "mixtral", "olmoe", "qwen2_moe", "qwen3_moe", "granitemoe");

  /** The cases that also have the fused (transformers v5) expert layout. */
  static final List<String> FUSED = List.of("mixtral", "olmoe", "qwen2_moe", "qwen3_moe");

  static byte[] resource(String path) throws IOException {
    try (InputStream in = HfFixtures.class.getResourceAsStream("/hf/" + path)) {
      if (in == null) {
        throw new IOException("no test resource hf/" + path);
      }
      return in.readAllBytes();
    }
  }

  static JsonObject reference(String model) throws IOException {
    return JsonParser.parseString(
            new String(resource(model + "/reference.json"), StandardCharsets.UTF_8))
        .getAsJsonObject();
  }

  /**
   * A model directory for a case.
   *
   * @param fused take the fused expert layout
   * @param dtype store the tensors as this type (the weights are exact in all three)
   * @param shards 1 for model.safetensors, more for shards with an index
   */
  static Path directory(Path root, String model, boolean fused, SafeTensors.DType dtype, int shards)
      throws Exception {
    Path dir =
        Files.createDirectories(
            root.resolve(model + (fused ? "-fused" : "") + "-" + dtype + "-" + shards));
    Files.write(dir.resolve("config.json"), resource(model + "/config.json"));
    Files.write(dir.resolve("tokenizer.json"), resource("tokenizer.json"));
    Path src = Files.createTempFile(root, "src", ".safetensors");
    Files.write(src, resource(model + (fused ? "/model-fused.safetensors" : "/model.safetensors")));
    List<SafeTensors.Tensor> tensors = new ArrayList<>();
    for (SafeTensors.Tensor t : SafeTensors.read(src).tensors().values()) {
      tensors.add(convert(t, dtype));
    }
    if (shards == 1) {
      SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
      return dir;
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    int per = (tensors.size() + shards - 1) / shards;
    for (int s = 0; s < shards; s++) {
      String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
      List<SafeTensors.Tensor> part =
          tensors.subList(s * per, Math.min(tensors.size(), (s + 1) * per));
      SafeTensors.write(dir.resolve(name), part, Map.of("format", "pt"));
      part.forEach(t -> weightMap.put(t.name(), name));
    }
    JsonObject index = new JsonObject();
    index.add("metadata", new JsonObject());
    index.add("weight_map", new com.google.gson.Gson().toJsonTree(weightMap));
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
    return dir;
  }

  static SafeTensors.Tensor convert(SafeTensors.Tensor t, SafeTensors.DType dtype) {
    if (dtype == SafeTensors.DType.F32) {
      return t;
    }
    float[] v = t.toFloats();
    ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putShort(
          dtype == SafeTensors.DType.F16
              ? Float.floatToFloat16(x)
              : (short) (Float.floatToRawIntBits(x) >>> 16)); // exact: the weights are BF16 values
    }
    b.flip();
    return new SafeTensors.Tensor(t.name(), dtype, t.shape(), b);
  }
}
