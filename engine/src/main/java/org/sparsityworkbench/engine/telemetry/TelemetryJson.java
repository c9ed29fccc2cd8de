package org.sparsityworkbench.engine.telemetry;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/** Writes telemetry records as single-line JSON with snake_case field names, and reads them. */
public final class TelemetryJson {
  private static final Gson GSON =
      new GsonBuilder()
          .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
          .disableHtmlEscaping()
          .create();

  private TelemetryJson() {}

  /** One JSON line (no trailing newline). */
  public static String toJson(Records.Record r) {
    return GSON.toJson(r);
  }

  /**
   * Reads one record written by {@link #toJson}: its {@code type} says which.
   *
   * @throws IllegalArgumentException when the line is not JSON, has no known type, or its fields do
   *     not fit the record (the message says which)
   */
  public static Records.Record fromJson(String line) {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(line);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException("not a JSON object");
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("not JSON (" + rootMessage(e) + ")", e);
    }
    JsonElement type = o.get("type");
    String t = type != null && type.isJsonPrimitive() ? type.getAsString() : null;
    Class<? extends Records.Record> c =
        switch (t == null ? "" : t) {
          case "prefill" -> Records.Prefill.class;
          case "token" -> Records.Token.class;
          case "end" -> Records.End.class;
          default ->
              throw new IllegalArgumentException(
                  t == null ? "no \"type\" field" : "unknown record type \"" + t + "\"");
        };
    try {
      return GSON.fromJson(o, c);
    } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
      throw new IllegalArgumentException(t + " record: " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
