package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.telemetry.Records;

/** The patch view's figures from hand-built Megabyte records: no model, no native code. */
@org.junit.jupiter.api.Tag("no-pytorch")
class PatchFiguresTest {
  static final int P = 4;

  /**
   * The step that appends the byte at position pos: it prepares pos + 1; the global model ran when
   * pos + 1 begins a patch, routing it to expert (pos + 1) / P mod 3 with attention rising over the
   * patches; local attention uniform over the patch so far (two heads, one with all weight on the
   * pad, one uniform, so the mean is known).
   */
  static TokenSnapshot step(int step, int pos, char c) {
    int n = pos + 1;
    int k = n / P;
    int i = n % P;
    List<Records.TokenLayer> global = null;
    if (i == 0) {
      float[] row = new float[k + 1];
      row[k] = 1f; // all weight on the newest position
      global =
          List.of(
              new Records.TokenLayer(
                  0,
                  new Records.Attention(new float[][] {row}),
                  new Records.TokenRouter(null, new int[] {k % 3}, new float[] {1f}, 0.5),
                  null,
                  null,
                  new Records.Timing(1, 1.0, 1, null)));
    }
    float[] pad = new float[i + 1];
    pad[0] = 1f;
    float[] uniform = new float[i + 1];
    java.util.Arrays.fill(uniform, 1f / (i + 1));
    List<Records.Attention> local = List.of(new Records.Attention(new float[][] {pad, uniform}));
    Records.Token t =
        new Records.Token(step, pos, c, String.valueOf(c), List.of(), 100, null)
            .withPatch(new Records.Patch(k, i, P, i == 0, i == 0 ? 3000 : 0, 1000, global, local));
    return TokenSnapshot.of(t);
  }

  /** Prompt "ab" (positions 0, 1), then steps appending positions 2..9 ("cdefghij"). */
  static PatchFigures figures() {
    List<TokenSnapshot> tokens = new ArrayList<>();
    String text = "cdefghij";
    for (int s = 0; s < text.length(); s++) {
      tokens.add(step(s, s + 2, text.charAt(s)));
    }
    return PatchFigures.of(List.of("a", "b"), tokens);
  }

  @Test
  void bytesFallIntoPatchesOfTheRecordsSize() {
    PatchFigures f = figures();
    assertTrue(f.available());
    assertEquals(4, f.patchSize());
    assertEquals(10, f.bytes());
    assertEquals(3, f.patches());
    assertEquals("abcd", f.text(0));
    assertEquals("efgh", f.text(1));
    assertEquals("ij", f.text(2));
    assertEquals(2, f.currentPatch(), "the newest step prepares position 10, in patch 2");
    assertEquals("pad", f.globalInput(0));
    assertEquals("abcd", f.globalInput(1));
    assertEquals("pad", f.localInput(1, 0));
    assertEquals("f", f.localInput(1, 2), "position 2 of patch 1 reads the byte before it");
  }

  @Test
  void globalStepsBelongToThePatchTheyPrepareAndThePrefillsStayEmpty() {
    PatchFigures f = figures();
    assertNull(f.global(0), "patch 0's global step ran in the prefill");
    assertTrue(f.global(1).globalRan());
    assertTrue(f.global(2).globalRan());
    assertEquals(1, f.expert(1, 0));
    assertEquals(2, f.expert(2, 0));
    assertEquals(-1, f.expert(0, 0));
    assertTrue(f.routed());
    assertEquals("expert", f.routeKind());
    assertEquals(2, f.route(2, 0));
    double[][] g = f.globalAttention(0);
    assertEquals(3, g.length);
    assertTrue(Double.isNaN(g[0][0]), "no record of patch 0's step");
    assertEquals(0.0, g[1][0]);
    assertEquals(1.0, g[1][1]);
    assertTrue(Double.isNaN(g[1][2]), "causal: nothing past the row's own position");
    assertEquals(1.0, g[2][2]);
  }

  @Test
  void localAttentionIsTheMeanOverHeadsRowByRowOfThePatch() {
    PatchFigures f = figures();
    double[][] l = f.localAttention(1, 0); // positions 4..7 prepared by steps appending 3..6
    assertEquals(4, l.length);
    for (int i = 0; i < 4; i++) {
      // heads: all on the pad, and uniform over i + 1 positions
      assertEquals(0.5 + 0.5 / (i + 1), l[i][0], 1e-6, "row " + i);
      for (int q = 1; q <= i; q++) {
        assertEquals(0.5 / (i + 1), l[i][q], 1e-6);
      }
      for (int q = i + 1; q < 4; q++) {
        assertTrue(Double.isNaN(l[i][q]));
      }
    }
    double[][] first = f.localAttention(0, 0);
    assertTrue(
        Double.isNaN(first[0][0]) && Double.isNaN(first[1][0]) && Double.isNaN(first[2][0]),
        "rows 0..2 were prepared by the prefill of \"ab\"");
    assertEquals(0.5 + 0.5 / 4, first[3][0], 1e-6, "prepared by the first step");
  }

  @Test
  void aPrefillThatRanStepwiseFillsThePromptsRows() {
    // The prefill of "ab" ran global position 0 and local positions 0..2 of patch 0, each
    // recorded as its step would be.
    List<Records.Patch> prefill = new ArrayList<>();
    prefill.add(step(-1, -1, '?').record().patch()); // prepares position 0: global 0, local 0
    prefill.add(step(-1, 0, '?').record().patch()); // position 1
    prefill.add(step(-1, 1, '?').record().patch()); // position 2
    List<TokenSnapshot> tokens = new ArrayList<>();
    String text = "cdefghij";
    for (int s = 0; s < text.length(); s++) {
      tokens.add(step(s, s + 2, text.charAt(s)));
    }
    PatchFigures f = PatchFigures.of(List.of("a", "b"), prefill, tokens);
    assertTrue(f.globalRecorded(0));
    assertTrue(f.globalInPrefill(0));
    assertFalse(f.globalInPrefill(1), "patch 1's global step ran in a step");
    assertEquals(0, f.expert(0, 0));
    assertEquals(1.0, f.globalAttention(0)[0][0]);
    double[][] first = f.localAttention(0, 0);
    for (int i = 0; i < 4; i++) {
      assertEquals(0.5 + 0.5 / (i + 1), first[i][0], 1e-6, "row " + i + " of patch 0");
    }
    // Without the prefill's steps: patch 0 ran in the prefill, unrecorded.
    PatchFigures bare = PatchFigures.of(List.of("a", "b"), tokens);
    assertFalse(bare.globalRecorded(0));
    assertTrue(bare.globalInPrefill(0));
    assertFalse(bare.globalInPrefill(2));
  }

  @Test
  void aSparseFfGlobalModelColoursPatchesByTheUnitOfBlockZero() {
    Records.TokenLayer layer =
        new Records.TokenLayer(
            0,
            null,
            null,
            new Records.Controller(8, new int[] {5, 1}, new float[] {0.9f, 0.6f}),
            null,
            new Records.Timing(1, null, 1, 1.0));
    Records.Token t =
        new Records.Token(0, 3, 'd', "d", List.of(), 100, null)
            .withPatch(new Records.Patch(1, 0, P, true, 10, 10, List.of(layer), null));
    PatchFigures f = PatchFigures.of(List.of("a", "b", "c"), List.of(TokenSnapshot.of(t)));
    assertEquals("unit", f.routeKind());
    assertEquals(5, f.route(1, 0));
    assertEquals(-1, f.expert(1, 0), "no expert to ban");
  }

  @Test
  void timeByLevel() {
    PatchFigures f = figures();
    double[][] t = f.levelTimes();
    assertEquals(8, t[0].length);
    assertEquals(3000, t[0][1], "the step appending position 3 ran the global model");
    assertEquals(0, t[0][0]);
    assertEquals(1000, t[1][0]);
    // The Latency tab's parts of a step: the two levels (there are no per-layer timings).
    TokenSnapshot ran = step(1, 3, 'd');
    assertEquals(3000, ran.componentUs()[TokenSnapshot.COMPONENTS.indexOf("global model")]);
    assertEquals(1000, ran.componentUs()[TokenSnapshot.COMPONENTS.indexOf("local model")]);
    assertEquals(
        "global model: ran at 2 of 8 steps (once per 4 bytes), 3.00 ms each time · local model:"
            + " every step, 1.00 ms per byte · share of the time: global 43%, local 57%",
        f.levelSummary());
  }

  @Test
  void aDecodeWithoutPatchesHasNothingToShow() {
    TokenSnapshot plain = TokenSnapshot.of(new Records.Token(0, 3, 'x', "x", List.of(), 10, null));
    PatchFigures f = PatchFigures.of(List.of("a"), List.of(plain));
    assertFalse(f.available());
    assertEquals(0, f.patches());
    assertEquals(PatchFigures.EMPTY, f);
  }
}
