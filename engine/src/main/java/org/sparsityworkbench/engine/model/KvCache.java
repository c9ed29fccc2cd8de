package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.sparsityworkbench.engine.config.ModelConfig;

/**
 * Keys and values of every layer for one sequence, preallocated to the context length as (1, H,
 * context, head) and written in place, so a decode step allocates nothing that outlives it.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final NDArray[] convStates;
  private final int capacity;
  private int length;

  /** Largest cache accepted, so that a configuration cannot ask native code for absurd memory. */
  public static final long MAX_BYTES = 4L << 30;

  public KvCache(NDManager parent, ModelConfig c) {
    long bytes = 2L * c.nLayers() * c.contextLength() * c.dModel() * Float.BYTES;
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "KV cache of "
              + (bytes >> 20)
              + " MiB (context_length "
              + c.contextLength()
              + ", d_model "
              + c.dModel()
              + ", n_layers "
              + c.nLayers()
              + ") exceeds "
              + (MAX_BYTES >> 20)
              + " MiB");
    }
    this.manager = parent.newSubManager();
    this.capacity = c.contextLength();
    this.keys = new NDArray[c.nLayers()];
    this.values = new NDArray[c.nLayers()];
    this.convStates = new NDArray[c.nLayers()];
    Shape s = new Shape(1, c.nHeads(), c.contextLength(), c.headDim());
    for (int i = 0; i < c.nLayers(); i++) {
      keys[i] = manager.zeros(s, DataType.FLOAT32);
      values[i] = manager.zeros(s, DataType.FLOAT32);
      if (c.family().hasSparseQkv() && c.convKernel() > 1) {
        convStates[i] =
            manager.zeros(
                new Shape(1, c.convKernel() - 1, c.qkvModules(), c.moduleDim()), DataType.FLOAT32);
      }
    }
  }

  /**
   * Sparse QKV: the last conv_kernel - 1 inputs of the layer's convolution over positions, (1,
   * conv_kernel - 1, S, d / S); zeros before the first position.
   */
  public NDArray convState(int layer) {
    return convStates[layer];
  }

  /** Keys of a layer, (1, H, context, head). */
  public NDArray keys(int layer) {
    return keys[layer];
  }

  /** Values of a layer, (1, H, context, head). */
  public NDArray values(int layer) {
    return values[layer];
  }

  /** Positions filled so far. */
  public int length() {
    return length;
  }

  /** Maximum positions. */
  public int capacity() {
    return capacity;
  }

  /** Marks positions [length, length + n) as filled, after every layer wrote them. */
  void advance(int n) {
    length += n;
  }

  @Override
  public void close() {
    manager.close();
  }
}
