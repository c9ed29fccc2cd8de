package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * A dense feed-forward of f hidden units.
 *
 * <ul>
 *   <li>relu: y = relu(h W1^T) W2, W1 and W2 both stored (f, d), one unit one row in both (the
 *       native families);
 *   <li>SwiGLU: y = (silu(h G^T) * (h U^T)) D^T with G, U stored (f, d) and D (d, f) (Hugging
 *       Face's gate_proj, up_proj, down_proj).
 * </ul>
 */
public final class Mlp implements FeedForward {
  private final NDArray gate; // SwiGLU only
  private final NDArray in; // relu W1, SwiGLU up
  private final NDArray out; // relu W2, SwiGLU down

  private Mlp(NDArray gate, NDArray in, NDArray out) {
    this.gate = gate;
    this.in = in;
    this.out = out;
  }

  /** SwiGLU's transposed views, made once (imported models are inference only). */
  private NDArray gateT;

  private NDArray inT;
  private NDArray outT;

  /** relu(h W1^T) W2; W1, W2 (f, d). */
  public static Mlp relu(NDArray w1, NDArray w2) {
    return new Mlp(null, w1, w2);
  }

  /** (silu(h G^T) * h U^T) D^T; G, U (f, d), D (d, f). */
  public static Mlp swiglu(NDArray gate, NDArray up, NDArray down) {
    Mlp m = new Mlp(gate, up, down);
    m.gateT = gate.transpose();
    m.inT = up.transpose();
    m.outT = down.transpose();
    return m;
  }

  @Override
  public NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace) {
    return apply(h);
  }

  /** (.., d) -> (.., d). */
  NDArray apply(NDArray h) {
    if (gate == null) {
      return relu(h, in, out);
    }
    NDArray g = Ops.silu(h.matMul(gateT)); // (.., f)
    return g.mul(h.matMul(inT)).matMul(outT); // (.., f) -> (.., d)
  }

  /** relu(h W1^T) W2 for W1, W2 (f, d). */
  static NDArray relu(NDArray h, NDArray w1, NDArray w2) {
    return Ops.relu(h.matMul(w1.transpose())).matMul(w2); // (.., f) -> (.., d)
  }
}
