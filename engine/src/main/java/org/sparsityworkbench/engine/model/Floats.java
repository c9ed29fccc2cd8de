package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;

/** Copies float32 arrays out of native memory. */
public final class Floats {
  private Floats() {}

  /**
   * The values of a float32 array, read through a direct view of its native memory and copied once
   * into the Java array. (DJL's {@code toFloatArray} copies twice, through a temporary Java byte
   * array.)
   */
  public static float[] of(NDArray a) {
    if (a.getDataType() != DataType.FLOAT32) {
      return a.toFloatArray();
    }
    float[] out = new float[Math.toIntExact(a.size())];
    a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out);
    return out;
  }

  /**
   * The values of a float32 array split into {@code rows} equal rows, each copied once straight
   * from native memory into its own Java array (no flat copy to split afterwards).
   */
  public static float[][] rows(NDArray a, int rows) {
    int n = Math.toIntExact(a.size());
    if (rows <= 0 || n % rows != 0) {
      throw new IllegalArgumentException(
          "cannot split " + n + " values of shape " + a.getShape() + " into " + rows + " rows");
    }
    float[][] out = new float[rows][n / rows];
    if (a.getDataType() != DataType.FLOAT32) {
      float[] flat = a.toFloatArray();
      for (int i = 0; i < rows; i++) {
        System.arraycopy(flat, i * (n / rows), out[i], 0, n / rows);
      }
      return out;
    }
    java.nio.FloatBuffer f = a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (float[] row : out) {
      f.get(row);
    }
    return out;
  }
}
