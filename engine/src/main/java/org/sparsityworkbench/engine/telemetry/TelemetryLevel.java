package org.sparsityworkbench.engine.telemetry;

/** How much a decode step reports. Benchmarks use OFF to measure pure speed. */
public enum TelemetryLevel {
  /**
   * Token, text and latency only: no per-layer data, no copies out of native memory beyond logits.
   */
  OFF,
  /** Adds per-layer routing choices, gates and component timings, and the top-5 next tokens. */
  SUMMARY,
  /** Adds attention weights of every head, full router probabilities and the top-10 next tokens. */
  FULL;

  /**
   * Parses off / summary / full.
   *
   * @throws IllegalArgumentException naming the choices for any other text
   */
  public static TelemetryLevel parse(String s) {
    for (TelemetryLevel l : values()) {
      if (l.name().equalsIgnoreCase(s.trim())) {
        return l;
      }
    }
    throw new IllegalArgumentException("telemetry = " + s + ": must be off, summary or full");
  }
}
