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

  /** Parses off / summary / full. */
  public static TelemetryLevel parse(String s) {
    return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
