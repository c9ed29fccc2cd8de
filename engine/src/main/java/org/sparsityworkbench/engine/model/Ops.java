package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/** Native operations that DJL's public NDArray API makes slow or awkward. */
final class Ops {
  private Ops() {}

  /**
   * max(x, 0). DJL's {@code maximum(0f)} first makes a native scalar from Java, which costs 10-20
   * us per call here; the engine's relu is one native call (about 3 us).
   */
  static NDArray relu(NDArray x) {
    return x.getNDArrayInternal().relu();
  }

  /**
   * A native-owned copy of Java data. DJL's {@code create} on the CPU wraps a Java direct buffer
   * without copying; a tensor that autograd or a view keeps beyond the wrapper's life would read
   * freed memory. Constants that enter the autograd graph are therefore copied into PyTorch's own
   * memory.
   */
  static NDArray constant(NDManager m, float[] data, Shape shape) {
    try (NDArray wrapped = m.create(data, shape)) {
      return wrapped.duplicate();
    }
  }

  /** As {@link #constant(NDManager, float[], Shape)}, for int64 indices of shape (n). */
  static NDArray constant(NDManager m, long[] data) {
    try (NDArray wrapped = m.create(data)) {
      return wrapped.duplicate();
    }
  }

  /**
   * Rows {@code idx} of a row-major matrix W (R, C) as a new (k, C) array. Uses the embedding
   * lookup, which copies contiguous rows and is 4-5x faster than {@code W.get(NDIndex)} here.
   *
   * @param idx int64 row indices, shape (k)
   */
  static NDArray gatherRows(NDArray w, NDArray idx) {
    return w.getNDArrayInternal().embedding(idx, w, SparseFormat.DENSE).singletonOrThrow();
  }
}
