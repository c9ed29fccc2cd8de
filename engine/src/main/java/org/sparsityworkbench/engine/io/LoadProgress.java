package org.sparsityworkbench.engine.io;

/**
 * Progress of a model load, called on the loading thread after every tensor; a load can be
 * cancelled between tensors.
 */
public interface LoadProgress {
  /** Does nothing and never cancels. */
  LoadProgress NONE = (bytes, totalBytes, tensors, totalTensors) -> {};

  /** Bytes and tensors read so far, out of the totals. */
  void update(long bytes, long totalBytes, int tensors, int totalTensors);

  /**
   * Asked between tensors: true stops the load with a {@link
   * java.util.concurrent.CancellationException}.
   */
  default boolean cancelled() {
    return false;
  }
}
