package org.sparsityworkbench.viewmodels;

import java.util.List;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * What one decoded token did, as the views draw it: its routing in every layer, its attention and
 * its latency. Copied out of a telemetry record once, on the UI thread.
 *
 * @param label the token as shown on its own (printable byte or {@code <0xNN>})
 * @param probs [layer][expert] router probabilities (MoE), else null
 * @param experts [layer][k] chosen experts (MoE), else null
 * @param chosen [layer][block] chosen unit of every block (sparse FF), else null
 * @param attention [layer][head][position] attention of the token (full telemetry), else null
 * @param latencyUs wall time of the step
 * @param componentUs time summed over layers: attention, router, feed-forward, controller
 */
public record TokenSnapshot(
    String label,
    float[][] probs,
    int[][] experts,
    int[][] chosen,
    float[][][] attention,
    double latencyUs,
    double[] componentUs) {

  /** Names of {@link #componentUs} entries. */
  public static final List<String> COMPONENTS =
      List.of("attention", "router", "feed-forward", "controller");

  /** Extracts a token record (full telemetry gives the probabilities and attention). */
  static TokenSnapshot of(Records.Token t, String label) {
    List<Records.TokenLayer> layers = t.layers();
    double[] parts = new double[COMPONENTS.size()];
    if (layers == null || layers.isEmpty()) {
      return new TokenSnapshot(label, null, null, null, null, t.latencyUs(), parts);
    }
    int n = layers.size();
    boolean moe = layers.getFirst().router() != null;
    boolean ff = layers.getFirst().controller() != null;
    boolean att = layers.getFirst().attention() != null;
    float[][] probs = moe ? new float[n][] : null;
    int[][] experts = moe ? new int[n][] : null;
    int[][] chosen = ff ? new int[n][] : null;
    float[][][] attention = att ? new float[n][][] : null;
    for (int i = 0; i < n; i++) {
      Records.TokenLayer l = layers.get(i);
      if (moe) {
        probs[i] = l.router().probs();
        experts[i] = l.router().experts();
      }
      if (ff) {
        chosen[i] = l.controller().chosen();
      }
      if (att) {
        attention[i] = l.attention().heads();
      }
      Records.Timing timing = l.timingUs();
      parts[0] += timing.attention();
      parts[1] += timing.router() == null ? 0 : timing.router();
      parts[2] += timing.ffn();
      parts[3] += timing.controller() == null ? 0 : timing.controller();
    }
    return new TokenSnapshot(label, probs, experts, chosen, attention, t.latencyUs(), parts);
  }
}
