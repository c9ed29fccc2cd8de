package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import org.sparsityworkbench.engine.spec.FeedForwardSpec.Activation;

/**
 * A dense feed-forward of f hidden units.
 *
 * <ul>
 *   <li>relu: y = relu(h W1^T) W2, W1 and W2 both stored (f, d), one unit one row in both;
 *   <li>SwiGLU: [g | u] = h W_in^T with W_in (2f, d) the gate rows then the up rows; y = (silu(g) *
 *       u) W_out^T with W_out (d, f) (Hugging Face's gate_proj, up_proj, down_proj).
 * </ul>
 */
public final class Mlp implements FeedForward {
  private final Activation activation;
  private final NDArray in;
  private final NDArray out;

  public Mlp(Activation activation, NDArray in, NDArray out) {
    this.activation = activation;
    this.in = in;
    this.out = out;
  }

  @Override
  public NDArray forward(NDArray h, Pass pass, LayerTrace trace) {
    return apply(activation, h, in, out);
  }

  /** The feed-forward of (.., d) with these weights; (.., d). */
  static NDArray apply(Activation activation, NDArray h, NDArray in, NDArray out) {
    NDArray x = h.matMul(in.transpose()); // (.., f) or (.., 2f)
    if (activation == Activation.RELU) {
      return Ops.relu(x).matMul(out); // (.., f) -> (.., d)
    }
    long f = x.getShape().getShape()[x.getShape().dimension() - 1] / 2;
    NDArray g = x.get(new NDIndex("..., :{}", f));
    NDArray u = x.get(new NDIndex("..., {}:", f));
    return Ops.silu(g).mul(u).matMul(out.transpose()); // (.., f) -> (.., d)
  }
}
