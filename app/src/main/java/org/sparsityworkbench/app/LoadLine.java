package org.sparsityworkbench.app;

import org.sparsityworkbench.engine.io.LoadProgress;

/**
 * The command line's load progress: one line on stderr, rewritten in place (carriage return) at
 * most every 200 ms, ended once the last tensor is read; nothing for loads under a second.
 */
final class LoadLine implements LoadProgress {
  private final long start = System.nanoTime();
  private long last;
  private boolean shown;

  static LoadProgress stderr() {
    return new LoadLine();
  }

  @Override
  public void update(long bytes, long totalBytes, int tensors, int totalTensors) {
    long now = System.nanoTime();
    boolean done = tensors == totalTensors;
    if ((now - start < 1_000_000_000L || now - last < 200_000_000L) && !(done && shown)) {
      return;
    }
    last = now;
    shown = true;
    System.err.printf(
        "\rloading: %,d / %,d MiB, %d / %d tensors%s",
        bytes >> 20, totalBytes >> 20, tensors, totalTensors, done ? "\n" : "");
  }
}
