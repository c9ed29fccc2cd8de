package org.sparsityworkbench.engine.session;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which model a session is of: enough to tell, with the model at hand, whether it is the same one.
 *
 * @param name the model directory's name
 * @param family the model's family ("switch", "mixtral", ...)
 * @param nativeModel whether it is one of the workbench's own byte-level models (their tokens are
 *     bytes, so a session of one can be shown without its tokenizer)
 * @param config the model's config.json as saved
 * @param weightsSha256 SHA-256 over the bytes of its weight files ({@code *.safetensors}, in name
 *     order)
 */
public record ModelIdentity(
    String name, String family, boolean nativeModel, JsonObject config, String weightsSha256) {

  /** The identity of the model in a directory (reads every weight file once). */
  public static ModelIdentity of(Path dir, String family, boolean nativeModel, String configJson)
      throws IOException {
    JsonObject config;
    try {
      JsonElement e = JsonParser.parseString(configJson);
      config = e.isJsonObject() ? e.getAsJsonObject() : new JsonObject();
    } catch (RuntimeException e) {
      config = new JsonObject();
    }
    Path name = dir.toAbsolutePath().normalize().getFileName();
    return new ModelIdentity(
        name == null ? dir.toString() : name.toString(),
        family,
        nativeModel,
        config,
        weightsHash(dir));
  }

  /** SHA-256 over the bytes of a directory's {@code *.safetensors} files, in name order. */
  public static String weightsHash(Path dir) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
    }
    byte[] buffer = new byte[1 << 20];
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (int n; (n = in.read(buffer)) > 0; ) {
          sha.update(buffer, 0, n);
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("name", name);
    o.addProperty("family", family);
    o.addProperty("native", nativeModel);
    o.add("config", config);
    o.addProperty("weights_sha256", weightsSha256);
    return o;
  }

  static ModelIdentity fromJson(JsonObject o) {
    if (o == null) {
      throw new IllegalArgumentException("no model");
    }
    for (String field : List.of("name", "family", "native", "weights_sha256")) {
      if (!o.has(field) || o.get(field).isJsonNull()) {
        throw new IllegalArgumentException("no \"" + field + "\"");
      }
    }
    return new ModelIdentity(
        o.get("name").getAsString(),
        o.get("family").getAsString(),
        o.get("native").getAsBoolean(),
        o.has("config") && o.get("config").isJsonObject()
            ? o.getAsJsonObject("config")
            : new JsonObject(),
        o.get("weights_sha256").getAsString());
  }
}
