package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * The Attention view's reduction alone: pooling, spans, layout and hover. No toolkit, no engine.
 */
@Tag("no-pytorch")
class AttentionGridTest {
  @Test
  void poolingKeepsTheLargestWeightOfEachBin() {
    float[] row = {0.1f, 0.5f, 0.2f, 0.05f, 0.15f};
    float[] out = new float[2];
    AttentionGrid.poolRow(row, 0, 8, out); // bins of 4 positions; 5..7 not seen yet
    assertArrayEquals(new float[] {0.5f, 0.15f}, out);
    float[] tail = new float[3];
    AttentionGrid.poolRow(row, 2, 5, tail); // one position per bin
    assertArrayEquals(new float[] {0.2f, 0.05f, 0.15f}, tail);
  }

  @Test
  void poolingPutsEveryPositionInBinFloorOfPositionTimesBinsOverSpan() {
    java.util.Random r = new java.util.Random(3);
    for (int rep = 0; rep < 300; rep++) {
      int span = 1 + r.nextInt(2100);
      int from = r.nextInt(300);
      int bins = 1 + r.nextInt(Math.min(span, 900));
      float[] row = new float[from + r.nextInt(span + 1)];
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextFloat();
      }
      float[] expected = new float[bins];
      for (int p = from; p < Math.min(from + span, row.length); p++) {
        int bin = (int) ((long) (p - from) * bins / span);
        expected[bin] = Math.max(expected[bin], row[p]);
      }
      float[] out = new float[bins];
      AttentionGrid.poolRow(row, from, from + span, out);
      assertArrayEquals(expected, out, "span " + span + " from " + from + " bins " + bins);
    }
  }

  @Test
  void panelSpansStayPutWhileTokensArriveAndAlwaysHoldTheNewest() {
    assertArrayEquals(new int[] {0, 256}, AttentionGrid.panelSpan(1, 0));
    assertArrayEquals(new int[] {0, 256}, AttentionGrid.panelSpan(256, 0));
    assertArrayEquals(new int[] {0, 512}, AttentionGrid.panelSpan(257, 0));
    for (int zoom : AttentionGrid.ZOOMS) {
      for (int positions = 1; positions < 2000; positions += 7) {
        int[] s = AttentionGrid.panelSpan(positions, zoom);
        assertTrue(s[0] >= 0 && s[0] + s[1] >= positions, "newest position inside the span");
        if (zoom > 0) {
          assertTrue(
              positions - s[0] >= Math.min(positions, zoom), "at least the last zoom positions");
        }
      }
    }
    // Zoomed: the span moves in steps of zoom/8, not with every token.
    assertArrayEquals(
        AttentionGrid.panelSpan(1000, 128), AttentionGrid.panelSpan(1003, 128), "same step");
  }

  @Test
  void panelSpansNeverRunPastTheModelsContext() {
    assertArrayEquals(new int[] {0, 128}, AttentionGrid.panelSpan(45, 0, 128));
    assertArrayEquals(new int[] {0, 128}, AttentionGrid.panelSpan(128, 0, 128));
    assertArrayEquals(new int[] {0, 512}, AttentionGrid.panelSpan(300, 0, 1024));
    for (int context : new int[] {32, 100, 128, 256, 300, 1024}) {
      for (int zoom : AttentionGrid.ZOOMS) {
        for (int positions = 1; positions <= context; positions++) {
          int[] s = AttentionGrid.panelSpan(positions, zoom, context);
          String at = "context " + context + " zoom " + zoom + " positions " + positions;
          assertTrue(s[0] >= 0 && s[0] + s[1] <= context, "inside the context: " + at);
          assertTrue(s[0] + s[1] >= positions, "newest position inside the span: " + at);
          if (zoom > 0) {
            assertTrue(positions - s[0] >= Math.min(positions, zoom), "the last zoom: " + at);
          }
        }
      }
    }
  }

  /** A token at a position whose single head puts all its weight on position {@code on}. */
  static TokenSnapshot token(int step, int position, int on) {
    float[] row = new float[position + 1];
    row[on] = 1f;
    Records.TokenLayer l =
        new Records.TokenLayer(
            0,
            new Records.Attention(new float[][] {row}),
            null,
            null,
            null,
            new Records.Timing(1, null, 1, null));
    return TokenSnapshot.of(new Records.Token(step, position, 'x', "x", List.of(), 10, List.of(l)));
  }

  @Test
  void theLayoutPutsOneTokenPerRowAndWholeBlocksPerPixel() {
    List<TokenSnapshot> w = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      w.add(token(i, 5 + i, 5 + i - 1)); // each token looks at the previous position
    }
    AttentionGrid.Layout g = AttentionGrid.layout(w, 0, 1024, 300, 100);
    assertEquals(1, g.heads());
    assertEquals(15, g.positions());
    assertEquals(0, g.from());
    assertEquals(256, g.axisEnd(), "all positions: the axis rounds up to 256");
    assertEquals(1, g.tokensPerRow(), "10 tokens in 100 px: one per row");
    assertEquals(10, g.rows());
    assertEquals(0, g.span() % g.cols());
    assertTrue(g.cols() <= 300);
  }

  @Test
  void theHoverReadsTheLargestWeightOfThePixelUnderTheMouse() {
    List<TokenSnapshot> w = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      w.add(token(i, 5 + i, 2));
    }
    // 256 positions over 256 px: one position per pixel; 4 tokens over 40 px: 10 px a row.
    AttentionGrid.Layout g = AttentionGrid.layout(w, 0, 1024, 256, 40);
    assertEquals(256, g.cols());
    String text = AttentionGrid.hover(g, w, 0, 2.5, 35, p -> "p" + p);
    assertEquals("head 0 · 'x' at position 8 → position 2 'p2': 1.000", text);
    assertEquals(
        "head 0 · 'x' at position 5 cannot see position 100 (causal)",
        AttentionGrid.hover(g, w, 0, 100.5, 5, p -> "p" + p),
        "a position right of the token's own is not seen yet");
    assertNull(AttentionGrid.hover(g, w, 0, 300, 5, p -> ""), "outside the panel");
    w.add(token(4, 9, 2));
    assertNull(
        AttentionGrid.hover(g, w, 0, 2.5, 35, p -> ""),
        "a layout of another window reads nothing: the figure belongs to what is drawn");
  }
}
