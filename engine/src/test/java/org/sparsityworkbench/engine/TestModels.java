package org.sparsityworkbench.engine;

import ai.djl.ndarray.NDManager;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;

/** Small configurations for tests: every family, fast on a CPU. */
public final class TestModels {
  private TestModels() {}

  /** A shared root manager for a test class. */
  public static NDManager manager() {
    Engines.pytorch();
    return NDManager.newBaseManager();
  }

  /** A tiny configuration of a family with the given context length. */
  public static ModelConfig tiny(Family family, int context) {
    return switch (family) {
      case DENSE -> ModelConfig.dense(32, 2, 4, 64, context);
      case SWITCH -> ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, context, 4, 1, 1.25);
      case TOPK -> ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, context, 4, 2, 1.25);
      case SPARSE_FF, SPARSE_QKV, SPARSE_FFQKV ->
          ModelConfig.sparse(family, 32, 2, 4, 64, context, 8, 8, 4, 3);
    };
  }
}
