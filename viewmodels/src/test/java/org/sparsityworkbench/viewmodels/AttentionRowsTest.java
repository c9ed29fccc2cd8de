package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.Tag("no-pytorch")
class AttentionRowsTest {

  /** Random causal softmax rows [layers][heads][n], with a few sharp peaks as real heads have. */
  private static float[][][] rows(int layers, int heads, int n, long seed) {
    Random r = new Random(seed);
    float[][][] a = new float[layers][heads][n];
    for (float[][] layer : a) {
      for (float[] row : layer) {
        double sum = 0;
        for (int p = 0; p < n; p++) {
          row[p] = (float) Math.exp(3 * r.nextGaussian());
          sum += row[p];
        }
        for (int p = 0; p < n; p++) {
          row[p] = (float) (row[p] / sum);
        }
      }
    }
    return a;
  }

  /** Max pooling of the full row, bin = floor((p - from) * bins / span): the reference. */
  private static float[] pooled(float[] row, int from, int to, int bins) {
    float[] out = new float[bins];
    for (int p = from; p < Math.min(to, row.length); p++) {
      int bin = (int) ((long) (p - from) * bins / (to - from));
      out[bin] = Math.max(out[bin], row[p]);
    }
    return out;
  }

  @Test
  void blocksGrowInPowersOfTwoSoThatARowHoldsAtMostTheirNumber() {
    assertEquals(1, AttentionRows.blockFor(1));
    assertEquals(1, AttentionRows.blockFor(AttentionRows.BLOCKS));
    assertEquals(2, AttentionRows.blockFor(AttentionRows.BLOCKS + 1));
    assertEquals(8, AttentionRows.blockFor(8192));
    assertEquals(16, AttentionRows.blockFor(8193));
  }

  @Test
  void aShortRowIsKeptWholeAndPoolsExactlyIntoAnyPixels() {
    float[][][] full = rows(2, 3, 300, 1);
    AttentionRows a = AttentionRows.of(full);
    assertEquals(1, a.block());
    assertEquals(0, a.tailStart());
    assertEquals(3L * 2 * 300, a.floats());
    for (int bins : new int[] {1, 7, 100, 300, 512}) {
      float[] out = new float[bins];
      a.pool(1, 2, 0, 512, out, bins);
      assertArrayEquals(pooled(full[1][2], 0, 512, bins), out, "bins " + bins);
    }
    assertEquals(full[0][1][299], a.weight(0, 1, 299));
  }

  @Test
  void aLongRowPoolsExactlyIntoPixelsOfWholeBlocks() {
    int n = 7777;
    float[][][] full = rows(2, 2, n, 2);
    AttentionRows a = AttentionRows.of(full);
    assertEquals(8, a.block());
    assertEquals(n - AttentionRows.TAIL, a.tailStart());
    for (int pixels : new int[] {50, 333, 700, 1500}) {
      // The "all" zoom: a span of 8192 positions, padded to whole pixels of whole blocks.
      int width = AttentionRows.pixelWidth(8192, pixels, a.block());
      assertEquals(0, width % a.block());
      int cols = (int) Math.ceilDiv(8192, width);
      assertTrue(cols <= pixels, cols + " pixels for " + pixels);
      float[] out = new float[cols];
      a.pool(1, 0, 0, cols * width, out, cols);
      assertArrayEquals(pooled(full[1][0], 0, cols * width, cols), out, "pixels " + pixels);
      // The hover reads the same maximum, at the position where it lies.
      for (int c = 0; c < cols; c += 17) {
        double[] m = a.max(1, 0, c * width, (c + 1) * width);
        float ref = pooled(full[1][0], c * width, (c + 1) * width, 1)[0];
        if (c * width >= n) {
          assertNull(m, "no position of the row in pixel " + c);
        } else {
          assertEquals(ref, (float) m[1], "pixel " + c);
          assertEquals(ref, full[1][0][(int) m[0]], "the position of pixel " + c + "'s maximum");
        }
      }
    }
  }

  @Test
  void theZoomedSpansReadOnlyTheExactTail() {
    int n = 5000;
    float[][][] full = rows(1, 1, n, 3);
    AttentionRows a = AttentionRows.of(full);
    // Zoom "last 512" seen from a newest token 300 positions on: this row's part of the span.
    int from = n + 300 - 576;
    float[] out = new float[400];
    a.pool(0, 0, from, from + 576, out, 400);
    assertArrayEquals(pooled(full[0][0], from, from + 576, 400), out);
    assertThrows(IndexOutOfBoundsException.class, () -> a.weight(0, 0, from - 1000));
  }

  @Test
  void aRowCostsAtMostTheTailAndTheBlocksWhateverItsLength() {
    assertEquals(1000, AttentionRows.of(rows(1, 1, 1000, 9)).floats(), "whole up to BLOCKS");
    for (int n : new int[] {2000, 8192, 65536, 300_000}) {
      AttentionRows a = AttentionRows.of(rows(1, 1, n, n));
      assertTrue(
          a.floats() <= AttentionRows.TAIL + 1.5 * AttentionRows.BLOCKS + 1, n + ": " + a.floats());
    }
  }

  @Test
  void rowsOfDifferentLengthsAreRefusedWithTheirPlace() {
    float[][][] bad = {{new float[4], new float[5]}};
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AttentionRows.of(bad));
    assertTrue(e.getMessage().contains("layer 0 head 1 has 5 positions"), e.getMessage());
  }
}
