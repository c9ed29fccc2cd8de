package org.sparsityworkbench.engine.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sparsityworkbench.engine.config.ModelFormatException;

/**
 * Refuses a load that cannot fit: the float32 weights against the memory the system says is
 * available ({@code MemAvailable} in /proc/meminfo), so that a too-large model is a message, not an
 * out-of-memory kill halfway through.
 */
final class MemoryCheck {
  private MemoryCheck() {}

  /** Bytes of every tensor as float32 (what the engine computes in). */
  static long float32Bytes(org.sparsityworkbench.engine.io.MappedTensors t) {
    long n = 0;
    for (String name : t.names()) {
      n += t.info(name).numel() * Float.BYTES;
    }
    return n;
  }

  static void require(Path dir, long bytes) throws ModelFormatException {
    long available = available();
    if (available > 0 && bytes > available) {
      throw new ModelFormatException(
          String.format(
              "%s: the weights take %.2f GiB as float32 but only %.2f GiB of memory is available",
              dir, bytes / (double) (1L << 30), available / (double) (1L << 30)));
    }
  }

  /** Available memory in bytes, or -1 when unknown. */
  static long available() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
