package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.spec.AttentionSpec;
import org.sparsityworkbench.engine.spec.ModelSpec;

/**
 * Keys and values of every layer for one sequence, preallocated as (1, G, capacity, h) (G key/value
 * heads) and written in place, so a decode step allocates nothing that outlives it. The capacity is
 * the context length or less: a decode that needs only the prompt and N more tokens does not
 * reserve a 32k-token context.
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

  /** A cache for a native model's whole context. */
  public KvCache(NDManager parent, ModelConfig c) {
    this(parent, NativeFamilies.spec(c), c.contextLength());
  }

  /**
   * A cache of {@code capacity} positions.
   *
   * @throws IllegalArgumentException when capacity is outside 1..context or the cache would exceed
   *     {@link #MAX_BYTES}
   */
  public KvCache(NDManager parent, ModelSpec spec, int capacity) {
    if (capacity < 1 || capacity > spec.contextLength()) {
      throw new IllegalArgumentException(
          "cache capacity " + capacity + " must be in 1.." + spec.contextLength());
    }
    long bytes = bytes(spec, capacity);
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "KV cache of "
              + (bytes >> 20)
              + " MiB ("
              + capacity
              + " positions, "
              + spec.layers()
              + " layers) exceeds "
              + (MAX_BYTES >> 20)
              + " MiB");
    }
    int layers = spec.layers();
    this.manager = parent.newSubManager();
    this.capacity = capacity;
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    this.convStates = new NDArray[layers];
    for (int i = 0; i < layers; i++) {
      AttentionSpec a = spec.block(i).attention();
      Shape s = new Shape(1, a.kvHeads(), capacity, a.headDim());
      keys[i] = manager.zeros(s, DataType.FLOAT32);
      values[i] = manager.zeros(s, DataType.FLOAT32);
      if (a instanceof AttentionSpec.SparseQkv q && q.convKernel() > 1) {
        convStates[i] =
            manager.zeros(
                new Shape(1, q.convKernel() - 1, q.modules(), spec.dModel() / q.modules()),
                DataType.FLOAT32);
      }
    }
  }

  private KvCache(KvCache from, NDManager parent) {
    this.manager = parent.newSubManager();
    this.capacity = from.capacity;
    this.length = from.length;
    this.keys = new NDArray[from.keys.length];
    this.values = new NDArray[from.values.length];
    this.convStates = new NDArray[from.convStates.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = from.keys[i].duplicate();
      keys[i].attach(manager);
      values[i] = from.values[i].duplicate();
      values[i].attach(manager);
      if (from.convStates[i] != null) {
        convStates[i] = from.convStates[i].duplicate();
        convStates[i].attach(manager);
      }
    }
  }

  /**
   * An independent copy (keys, values, convolution states and length), so that one state can be
   * continued several ways (what-if passes); closed on its own.
   */
  public KvCache copy(NDManager parent) {
    return new KvCache(this, parent);
  }

  /** Bytes of keys and values for {@code capacity} positions. */
  public static long bytes(ModelSpec spec, int capacity) {
    long bytes = 0;
    for (int i = 0; i < spec.layers(); i++) {
      AttentionSpec a = spec.block(i).attention();
      bytes += 2L * a.kvHeads() * a.headDim() * capacity * Float.BYTES;
    }
    return bytes;
  }

  /**
   * Sparse QKV: the last conv_kernel - 1 inputs of the layer's convolution over positions, (1,
   * conv_kernel - 1, S, d / S); zeros before the first position.
   */
  public NDArray convState(int layer) {
    return convStates[layer];
  }

  /** Keys of a layer, (1, G, capacity, h). */
  public NDArray keys(int layer) {
    return keys[layer];
  }

  /** Values of a layer, (1, G, capacity, h). */
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

  /**
   * Empties the cache for a new sequence (Megabyte's local model, at every patch): positions are
   * overwritten from 0 and attention covers only those filled again; convolution states are zeroed.
   */
  void reset() {
    length = 0;
    for (NDArray c : convStates) {
      if (c != null) {
        c.set(new ai.djl.ndarray.index.NDIndex(":"), 0f);
      }
    }
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
