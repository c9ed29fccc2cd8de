package org.sparsityworkbench.engine.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.sparsityworkbench.engine.config.ModelFormatException;

/**
 * A Hugging Face {@code config.json} with typed reads whose errors name the file and the key.
 * Optional keys take the default of the architecture's configuration class in transformers.
 */
public final class HfConfig {
  private final JsonObject o;
  private final Path file;
  private final String text;

  private HfConfig(JsonObject o, Path file, String text) {
    this.o = o;
    this.file = file;
    this.text = text;
  }

  /** Reads a config file. */
  public static HfConfig read(Path file) throws ModelFormatException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
    try {
      JsonElement e = JsonParser.parseString(text);
      if (!e.isJsonObject()) {
        throw new ModelFormatException(file + ": expected a JSON object");
      }
      return new HfConfig(e.getAsJsonObject(), file, text);
    } catch (JsonParseException e) {
      throw new ModelFormatException(file + ": not valid JSON (" + e.getMessage() + ")", e);
    }
  }

  /** The file's text as it is. */
  public String text() {
    return text;
  }

  /** The file. */
  public Path file() {
    return file;
  }

  /** True when the key is present and not null. */
  public boolean has(String key) {
    return o.has(key) && !o.get(key).isJsonNull();
  }

  /** {@code model_type}. */
  public String modelType() throws ModelFormatException {
    return string("model_type");
  }

  /** A required string. */
  public String string(String key) throws ModelFormatException {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      throw error(key, "is missing");
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw error(key, "must be a string, got " + e);
    }
    return e.getAsString();
  }

  /** A required positive integer. */
  public int integer(String key) throws ModelFormatException {
    if (!has(key)) {
      throw error(key, "is missing");
    }
    return positive(key, o.get(key));
  }

  /** An optional positive integer. */
  public int integer(String key, int fallback) throws ModelFormatException {
    return has(key) ? positive(key, o.get(key)) : fallback;
  }

  private int positive(String key, JsonElement e) throws ModelFormatException {
    double v = e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsDouble() : -1;
    if (v != Math.rint(v) || v < 1 || v > Integer.MAX_VALUE) {
      throw error(key, "must be a positive integer, got " + e);
    }
    return (int) v;
  }

  /** An optional finite number. */
  public double number(String key, double fallback) throws ModelFormatException {
    if (!has(key)) {
      return fallback;
    }
    JsonElement e = o.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw error(key, "must be a number, got " + e);
    }
    double v = e.getAsDouble();
    if (!Double.isFinite(v)) {
      throw error(key, "must be finite, got " + e);
    }
    return v;
  }

  /** An optional boolean. */
  public boolean bool(String key, boolean fallback) throws ModelFormatException {
    if (!has(key)) {
      return fallback;
    }
    JsonElement e = o.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw error(key, "must be true or false, got " + e);
    }
    return e.getAsBoolean();
  }

  /** An optional list of non-negative integers (empty when absent). */
  public Set<Integer> integers(String key) throws ModelFormatException {
    Set<Integer> out = new HashSet<>();
    if (!has(key)) {
      return out;
    }
    if (!o.get(key).isJsonArray()) {
      throw error(key, "must be a list of layer indices, got " + o.get(key));
    }
    JsonArray a = o.getAsJsonArray(key);
    for (JsonElement e : a) {
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsDouble() < 0) {
        throw error(key, "must be a list of layer indices, got " + a);
      }
      out.add(e.getAsInt());
    }
    return out;
  }

  /**
   * The rotary base: {@code rope_theta}, or {@code rope_parameters.rope_theta} (newer
   * transformers); only the default rope type is supported (scaled variants are an error naming the
   * type).
   */
  public double ropeTheta(double fallback) throws ModelFormatException {
    for (String key : new String[] {"rope_scaling", "rope_parameters"}) {
      if (has(key)) {
        if (!o.get(key).isJsonObject()) {
          throw error(key, "must be an object, got " + o.get(key));
        }
        JsonObject r = o.getAsJsonObject(key);
        String type =
            r.has("rope_type")
                ? r.get("rope_type").getAsString()
                : r.has("type") ? r.get("type").getAsString() : "default";
        if (!type.equals("default")) {
          throw error(
              key, "rope type '" + type + "' is not supported (only the default rotary is)");
        }
        if (r.has("rope_theta")) {
          double v = r.get("rope_theta").getAsDouble();
          if (!(v > 1)) {
            throw error(key + ".rope_theta", "must be > 1, got " + v);
          }
          return v;
        }
      }
    }
    return number("rope_theta", fallback);
  }

  /** An error about a key of this file. */
  public ModelFormatException error(String key, String what) {
    return new ModelFormatException(file + ": '" + key + "' " + what);
  }
}
