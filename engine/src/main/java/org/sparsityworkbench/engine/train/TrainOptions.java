package org.sparsityworkbench.engine.train;

/**
 * Hyper-parameters of a training run.
 *
 * @param steps optimiser steps
 * @param batch sequences per step
 * @param sequenceLength bytes per sequence (at most the model's context)
 * @param learningRate peak learning rate (AdamW)
 * @param warmup linear warm-up steps, then cosine decay to 10% of the peak
 * @param weightDecay decoupled weight decay of matrices (not of norms, biases or embeddings)
 * @param clip global gradient-norm clip
 * @param seed seed of batches and training noise: the same seed gives the same run
 * @param evalEvery steps between validations (and training.csv rows)
 * @param checkpointEvery steps between checkpoints
 * @param valBatches batches of the held-out split per validation
 */
public record TrainOptions(
    int steps,
    int batch,
    int sequenceLength,
    double learningRate,
    int warmup,
    double weightDecay,
    double clip,
    long seed,
    int evalEvery,
    int checkpointEvery,
    int valBatches) {
  public TrainOptions {
    check(steps >= 1, "steps", steps);
    check(batch >= 1 && batch <= 4096, "batch", batch);
    check(sequenceLength >= 2, "sequence length", sequenceLength);
    check(learningRate > 0 && learningRate < 1, "learning rate", learningRate);
    check(warmup >= 0, "warm-up", warmup);
    check(weightDecay >= 0, "weight decay", weightDecay);
    check(clip > 0, "clip", clip);
    check(evalEvery >= 1, "eval-every", evalEvery);
    check(checkpointEvery >= 1, "checkpoint-every", checkpointEvery);
    check(valBatches >= 1, "val-batches", valBatches);
  }

  private static void check(boolean ok, String name, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(name + " = " + value + " is out of range");
    }
  }

  /** Learning rate at a 1-based step: linear warm-up, then cosine from the peak to 10% of it. */
  public double learningRateAt(int step) {
    if (step <= warmup) {
      return learningRate * step / Math.max(1, warmup);
    }
    double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
    return learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
  }
}
