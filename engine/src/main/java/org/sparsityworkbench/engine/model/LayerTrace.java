package org.sparsityworkbench.engine.model;

/**
 * What one layer did in one forward pass, copied out of native memory for telemetry.
 * Engine-internal and mutable; the decode session turns it into immutable telemetry records.
 */
public final class LayerTrace {
  /** Attention weights of the last query position, [heads][keys]; null unless collected. */
  public float[][] attention;

  /**
   * True when the pass starts at position 0 (a prompt's prefill): the router then reports its
   * z-loss even for a one-token prompt. Decode steps (one token later in the sequence) skip it.
   */
  public boolean firstPass;

  /** Router probabilities, row-major [tokens][experts]; null for dense layers. */
  public float[] routerProbs;

  /** Routing decisions; null for dense layers. */
  public Router.Routing routing;

  /** Sparse FF: the chosen unit (0..N-1) of every block, row-major [tokens][blocks]. */
  public int[] controllerChosen;

  /** Sparse FF: softmax probability of each chosen unit within its block, like controllerChosen. */
  public float[] controllerConfidence;

  /** Sparse QKV: root-mean-square of each module's multiplicative output for the last token. */
  public float[] qkvModules;

  /** Wall time of the sparse FF controller (logits, log-softmax, argmax). */
  public long controllerNanos;

  /** Wall time in nanoseconds of the attention sub-block (norm, projections, softmax). */
  public long attentionNanos;

  /** Wall time of the router (logits, softmax, decisions). */
  public long routerNanos;

  /** Wall time of the feed-forward or experts, router excluded. */
  public long ffnNanos;
}
