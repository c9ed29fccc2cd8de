package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.telemetry.Records;

/** Window figures from hand-made telemetry records: no engine, no toolkit. */
@org.junit.jupiter.api.Tag("no-pytorch")
class WindowStatsTest {
  static final Records.Timing TIMING = new Records.Timing(10, 1.0, 20, null);

  static TokenSnapshot routed(float[] probs, int expert) {
    double entropy = 0;
    for (float p : probs) {
      entropy -= p * Math.log(p);
    }
    Records.TokenRouter r =
        new Records.TokenRouter(probs, new int[] {expert}, new float[] {probs[expert]}, entropy);
    Records.TokenLayer l = new Records.TokenLayer(0, null, r, null, null, TIMING);
    return TokenSnapshot.of(new Records.Token(0, 3, 'a', "a", List.of(), 100, List.of(l)));
  }

  static TokenSnapshot controlled(int... chosen) {
    float[] confidence = new float[chosen.length];
    java.util.Arrays.fill(confidence, 0.5f);
    Records.Controller c = new Records.Controller(4, chosen, confidence);
    Records.TokenLayer l = new Records.TokenLayer(0, null, null, c, null, TIMING);
    return TokenSnapshot.of(new Records.Token(0, 3, 'a', "a", List.of(), 100, List.of(l)));
  }

  @Test
  void balancedRoutingHasAuxLossOneAndNoSpread() {
    List<TokenSnapshot> w =
        List.of(routed(new float[] {0.75f, 0.25f}, 0), routed(new float[] {0.25f, 0.75f}, 1));
    WindowStats.Routing r = WindowStats.routing(w, 0, 2);
    assertArrayEquals(new int[] {1, 1}, r.load());
    assertEquals(0, r.cv(), 1e-12);
    assertEquals(1, r.maxOverMean(), 1e-12);
    assertEquals(0, r.dead());
    assertEquals(1.0, r.auxLoss(), 1e-6, "E * sum f_i P_i = 2 * (0.5*0.5 + 0.5*0.5)");
    double h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    assertEquals(h, r.meanEntropy(), 1e-6);
  }

  @Test
  void collapsedRoutingShowsADeadExpertAndAHighLoss() {
    List<TokenSnapshot> w =
        List.of(routed(new float[] {0.75f, 0.25f}, 0), routed(new float[] {0.75f, 0.25f}, 0));
    WindowStats.Routing r = WindowStats.routing(w, 0, 2);
    assertArrayEquals(new int[] {2, 0}, r.load());
    assertEquals(1, r.cv(), 1e-12, "std 1 over mean 1");
    assertEquals(2, r.maxOverMean(), 1e-12);
    assertEquals(1, r.dead());
    assertEquals(1.5, r.auxLoss(), 1e-6, "2 * (1.0 * 0.75 + 0 * 0.25)");
  }

  @Test
  void controllerUsageCountsUnitsPerBlock() {
    List<TokenSnapshot> w = List.of(controlled(0, 3), controlled(0, 2), controlled(1, 3));
    WindowStats.Units u = WindowStats.units(w, 0);
    assertArrayEquals(new int[] {2, 1, 0, 0}, u.counts()[0]);
    assertArrayEquals(new int[] {0, 0, 1, 2}, u.counts()[1]);
    assertEquals(2.0, u.distinctPerBlock(), 1e-12);
    assertEquals(2.0 / 3, u.dominantShare(), 1e-12);
    assertEquals(0.5, u.meanConfidence(), 1e-6);
    assertNull(WindowStats.routing(w, 0, 2), "no router in a sparse FF window");
    assertNull(WindowStats.units(List.of(routed(new float[] {0.5f, 0.5f}, 0)), 0));
  }

  @Test
  void routeKeysColourByTopExpertOrUnitPattern() {
    assertEquals(1, routed(new float[] {0.25f, 0.75f}, 1).routeKey(0));
    assertEquals(2, controlled(2, 3).routeKey(0), "the unit of block 0");
    assertEquals(-1, controlled(0, 3).routeKey(1), "no such layer");
    String details = controlled(0, 3).details();
    assertTrue(details.contains("L0: units 0 3 (of 4 per block)"), details);
  }
}
