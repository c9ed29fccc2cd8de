package org.sparsityworkbench.engine.config;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Megabyte model (Yu et al., arXiv 2305.07185), as read from {@code config.json} with {@code
 * "family": "megabyte"}: a byte sequence of {@code context_length} bytes cut into patches of {@code
 * patch_size} bytes; a global model over the patches whose input at a patch is the {@code
 * patch_size} byte embeddings (each {@code global_byte_dim} wide) of the patch before,
 * concatenated; a local model over the bytes of each patch. Both are the engine's own stacks of
 * blocks, written as native configurations: the global one any native family (dense, switch, topk,
 * sparse-ff, sparse-qkv, sparse-ffqkv) of width {@code patch_size x global_byte_dim} over {@code
 * context_length / patch_size} positions, the local one dense of any width over {@code patch_size}
 * positions. The exact math is in docs/models.md, "Megabyte".
 *
 * @param contextLength bytes of context (T); a multiple of the patch size
 * @param patchSize bytes per patch (P)
 * @param globalByteDim width of one byte's embedding in the global input (D_G); the global model's
 *     width is P x D_G
 * @param global the global model's blocks (its vocab_size 256, context_length T / P)
 * @param local the local model's blocks (dense, its vocab_size 256, context_length P)
 */
public record MegabyteConfig(
    int contextLength, int patchSize, int globalByteDim, ModelConfig global, ModelConfig local) {

  /** The family name in config.json. */
  public static final String FAMILY = "megabyte";

  private static final Set<String> FIELDS =
      Set.of("family", "context_length", "patch_size", "global_byte_dim", "global", "local");

  public MegabyteConfig {
    if (patchSize < 1 || patchSize > 1024) {
      throw new IllegalArgumentException("patch_size " + patchSize + " must be in 1..1024");
    }
    if (contextLength < patchSize || contextLength % patchSize != 0) {
      throw new IllegalArgumentException(
          "context_length "
              + contextLength
              + " must be a positive multiple of patch_size "
              + patchSize);
    }
    if (globalByteDim < 1 || (long) globalByteDim * patchSize > ModelConfig.MAX_DIM) {
      throw new IllegalArgumentException(
          "global_byte_dim "
              + globalByteDim
              + " x patch_size "
              + patchSize
              + " must be in 1.."
              + ModelConfig.MAX_DIM);
    }
    if (global.dModel() != patchSize * globalByteDim) {
      throw new IllegalArgumentException(
          "global.d_model "
              + global.dModel()
              + " must be patch_size x global_byte_dim = "
              + patchSize
              + " x "
              + globalByteDim
              + " = "
              + patchSize * globalByteDim);
    }
    if (global.contextLength() != contextLength / patchSize) {
      throw new IllegalArgumentException(
          "global.context_length "
              + global.contextLength()
              + " must be context_length / patch_size = "
              + contextLength / patchSize
              + " (one position per patch)");
    }
    if (local.family() != Family.DENSE) {
      throw new IllegalArgumentException(
          "local.family '" + local.family() + "': the local model is dense");
    }
    if (local.contextLength() != patchSize) {
      throw new IllegalArgumentException(
          "local.context_length "
              + local.contextLength()
              + " must be patch_size "
              + patchSize
              + " (one position per byte of a patch)");
    }
  }

  /** Patches in the context (K = T / P). */
  public int patches() {
    return contextLength / patchSize;
  }

  /**
   * A configuration from its sizes: the global model of the given family (experts and sparse fields
   * as {@link ModelConfig#moe} and {@link ModelConfig#sparse} set them, or dense), the local model
   * dense.
   */
  public static MegabyteConfig of(
      int contextLength,
      int patchSize,
      int globalByteDim,
      ModelConfig globalShape,
      int localDim,
      int localLayers,
      int localHeads,
      int localFf) {
    return new MegabyteConfig(
        contextLength,
        patchSize,
        globalByteDim,
        globalShape,
        ModelConfig.dense(localDim, localLayers, localHeads, localFf, patchSize));
  }

  /** Whether a config.json names this family (read before anything else is parsed). */
  public static boolean isMegabyte(Path configFile) {
    try {
      JsonElement e = JsonParser.parseString(Files.readString(configFile, StandardCharsets.UTF_8));
      return e.isJsonObject()
          && e.getAsJsonObject().has("family")
          && e.getAsJsonObject().get("family").isJsonPrimitive()
          && FAMILY.equals(e.getAsJsonObject().get("family").getAsString());
    } catch (IOException | JsonParseException | IllegalStateException e) {
      return false;
    }
  }

  /** Reads and validates {@code config.json}. */
  public static MegabyteConfig read(Path file) throws ModelFormatException {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Parses and validates a configuration; errors name the source and the field ({@code
   * global.d_model ...}).
   */
  public static MegabyteConfig parse(String json, String source) throws ModelFormatException {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new ModelFormatException(source + ": expected a JSON object");
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(
          source + ": not valid JSON (" + ModelConfig.jsonProblem(e) + ")", e);
    }
    Set<String> unknown = new TreeSet<>(o.keySet());
    unknown.removeAll(FIELDS);
    if (!unknown.isEmpty()) {
      throw new ModelFormatException(
          source + ": unknown field(s) " + unknown + " for family '" + FAMILY + "'");
    }
    for (String f : FIELDS) {
      if (!o.has(f) || o.get(f).isJsonNull()) {
        throw new ModelFormatException(source + ": missing field '" + f + "'");
      }
    }
    if (!o.get("family").isJsonPrimitive() || !FAMILY.equals(o.get("family").getAsString())) {
      throw new ModelFormatException(source + ": field 'family' must be '" + FAMILY + "'");
    }
    ModelConfig global = nested(o, "global", source);
    ModelConfig local = nested(o, "local", source);
    try {
      return new MegabyteConfig(
          integer(o, "context_length", source),
          integer(o, "patch_size", source),
          integer(o, "global_byte_dim", source),
          global,
          local);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": " + e.getMessage(), e);
    }
  }

  private static ModelConfig nested(JsonObject o, String name, String source)
      throws ModelFormatException {
    if (!o.get(name).isJsonObject()) {
      throw new ModelFormatException(
          source + ": field '" + name + "' must be an object (a native model's configuration)");
    }
    return ModelConfig.parse(o.get(name).toString(), source + ", field '" + name + "'");
  }

  private static int integer(JsonObject o, String name, String source) throws ModelFormatException {
    JsonElement e = o.get(name);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new ModelFormatException(
          source + ": field '" + name + "' must be an integer, got " + e);
    }
    double v = e.getAsDouble();
    if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
      throw new ModelFormatException(
          source + ": field '" + name + "' must be an integer, got " + e);
    }
    return (int) v;
  }

  /** The configuration as the ordered map written to {@code config.json}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("family", FAMILY);
    m.put("context_length", contextLength);
    m.put("patch_size", patchSize);
    m.put("global_byte_dim", globalByteDim);
    m.put("global", global.toMap());
    m.put("local", local.toMap());
    return m;
  }

  /** config.json's text. */
  public String toJson() {
    return new GsonBuilder().setPrettyPrinting().create().toJson(toMap());
  }
}
