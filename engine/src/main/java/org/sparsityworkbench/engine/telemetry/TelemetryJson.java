package org.sparsityworkbench.engine.telemetry;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** Writes telemetry records as single-line JSON with snake_case field names. */
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
}
