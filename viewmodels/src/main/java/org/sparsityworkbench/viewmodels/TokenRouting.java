package org.sparsityworkbench.viewmodels;

import java.util.List;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * What one decoded token did in every layer, as the routing views draw it.
 *
 * @param label the token as shown on its own (printable byte or {@code <0xNN>})
 * @param probs [layer][expert] router probabilities (MoE), else null
 * @param experts [layer][k] chosen experts (MoE), else null
 * @param chosen [layer][block] chosen unit of every block (sparse FF), else null
 */
public record TokenRouting(String label, float[][] probs, int[][] experts, int[][] chosen) {

  /** Extracts the routing of a token record (needs full telemetry for the probabilities). */
  static TokenRouting of(Records.Token t, String label) {
    List<Records.TokenLayer> layers = t.layers();
    if (layers == null || layers.isEmpty()) {
      return new TokenRouting(label, null, null, null);
    }
    int n = layers.size();
    boolean moe = layers.getFirst().router() != null;
    boolean ff = layers.getFirst().controller() != null;
    float[][] probs = moe ? new float[n][] : null;
    int[][] experts = moe ? new int[n][] : null;
    int[][] chosen = ff ? new int[n][] : null;
    for (int i = 0; i < n; i++) {
      Records.TokenLayer l = layers.get(i);
      if (moe) {
        probs[i] = l.router().probs();
        experts[i] = l.router().experts();
      }
      if (ff) {
        chosen[i] = l.controller().chosen();
      }
    }
    return new TokenRouting(label, probs, experts, chosen);
  }
}
