package org.sparsityworkbench.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.TestModels;

class FloatsTest {
  @Test
  void rowsSplitTheValuesInOrderIncludingASlicedView() {
    try (NDManager m = TestModels.manager()) {
      NDArray a = m.arange(24f).reshape(new Shape(1, 2, 3, 4)); // (B, H, T, S)
      float[][] all = Floats.rows(a, 6);
      assertEquals(6, all.length);
      assertArrayEquals(new float[] {20, 21, 22, 23}, all[5]);
      // The last query row of each head, as the attention telemetry reads it.
      float[][] last = Floats.rows(a.get(new NDIndex("0:1, :, -1:, :")), 2);
      assertArrayEquals(new float[] {8, 9, 10, 11}, last[0]);
      assertArrayEquals(new float[] {20, 21, 22, 23}, last[1]);
      assertArrayEquals(Floats.of(a), concat(all));
    }
  }

  @Test
  void rowsRejectASplitThatDoesNotDivide() {
    try (NDManager m = TestModels.manager()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> Floats.rows(m.zeros(new Shape(2, 5)), 3));
      assertTrue(e.getMessage().contains("(2, 5)"), e.getMessage());
    }
  }

  private static float[] concat(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[i].length);
    }
    return out;
  }
}
