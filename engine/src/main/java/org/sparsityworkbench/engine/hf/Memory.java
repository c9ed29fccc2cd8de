package org.sparsityworkbench.engine.hf;

import org.sparsityworkbench.engine.io.MappedTensors;

/** Memory a checkpoint takes once loaded. */
final class Memory {
  private Memory() {}

  /** Bytes of every tensor as float32 (what the engine computes in). */
  static long float32Bytes(MappedTensors t) {
    long n = 0;
    for (String name : t.names()) {
      n += t.info(name).numel() * Float.BYTES;
    }
    return n;
  }
}
