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
}
