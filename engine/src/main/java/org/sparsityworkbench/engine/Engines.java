package org.sparsityworkbench.engine;

import ai.djl.engine.Engine;

/**
 * Starts DJL's PyTorch engine the way this project needs it: offline (no network at start-up) and
 * with one intra-op thread unless the user asked otherwise, which is predictable on a 2-core
 * machine and leaves a core for the user interface.
 */
public final class Engines {
  private Engines() {}

  /** Default intra-op threads when {@code ai.djl.pytorch.num_threads} is not set. */
  public static final String DEFAULT_THREADS = "1";

  /** The PyTorch engine, started once. The first start extracts the native library (~450 MB). */
  public static synchronized Engine pytorch() {
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    if (System.getProperty("ai.djl.pytorch.num_threads") == null
        && System.getenv("OMP_NUM_THREADS") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", DEFAULT_THREADS);
    }
    return Engine.getEngine("PyTorch");
  }

  /** For status bars: "PyTorch 2.7.1 on DJL 0.35.1, 1 thread". */
  public static String describe() {
    Engine e = pytorch();
    String threads =
        System.getProperty("ai.djl.pytorch.num_threads", System.getenv("OMP_NUM_THREADS"));
    return e.getEngineName()
        + " "
        + e.getVersion()
        + " on DJL "
        + Engine.getDjlVersion()
        + ", "
        + threads
        + (("1".equals(threads)) ? " thread" : " threads");
  }
}
