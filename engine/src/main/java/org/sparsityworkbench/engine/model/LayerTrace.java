package org.sparsityworkbench.engine.model;

/**
 * What one layer did in one forward pass, copied out of native memory for telemetry.
 * Engine-internal and mutable; the decode session turns it into immutable telemetry records.
 */
public final class LayerTrace {
  /**
   * Set by whoever reads only the choices (corpus analysis): the layer then leaves out what only
   * the telemetry shows (controller confidences, the router's z-loss, the shared expert's gate).
   */
  public boolean choicesOnly;

  /** Attention weights of the last query position, [heads][keys]; null unless collected. */
  public float[][] attention;

  /**
   * The logit lens: next-token logits (V) read from the residual stream after this layer at the
   * last position (final norm, then the head); null unless asked for.
   */
  public float[] lens;

  /** Router probabilities, row-major [tokens][experts]; null for dense layers. */
  public float[] routerProbs;

  /** Routing decisions; null for dense layers. */
  public Router.Routing routing;

  /** The shared expert's gate sigmoid(x . w_g) per token; null without a gated shared expert. */
  public float[] sharedGate;

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
