package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.sparsityworkbench.engine.spec.FeedForwardSpec;

/**
 * Mixture of experts over normalised input h (B, T, d): router logits l = h W_r (float32), p =
 * softmax(l); the decisions (top-k, gates, capacity) are taken in Java by {@link Router} and the
 * gates recomputed from the probability array so that gradients reach the router in training; y =
 * sum over the kept choices of gate * expert(h); plus, where there is one, the shared expert,
 * scaled by sigmoid(h . w_g) when gated (Qwen2-MoE).
 */
public final class MixtureOfExperts implements FeedForward {
  /** Training-only hyper-parameters of the native families (zero for imported models). */
  public record Training(double jitter, double auxWeight, double zWeight) {
    public static final Training NONE = new Training(0, 0, 0);
  }

  private final FeedForwardSpec.Moe spec;
  private final Linear router;
  private final Experts experts;
  private final Mlp shared;
  private final Linear sharedGate;
  private final Training training;

  public MixtureOfExperts(
      FeedForwardSpec.Moe spec,
      Linear router,
      Experts experts,
      Mlp shared,
      Linear sharedGate,
      Training training) {
    this.spec = spec;
    this.router = router;
    this.experts = experts;
    this.shared = shared;
    this.sharedGate = sharedGate;
    this.training = training;
  }

  /** The experts of a layer. */
  public interface Experts {
    /** Expert x of (n, d) input; (n, d). */
    NDArray apply(int x, NDArray h);

    /**
     * Relu experts stored stacked, W1 and W2 each (E, f, d) (the native families); expert x's
     * matrices are views taken per call, so that autograd sees the stacked weights in training.
     */
    static Experts stackedRelu(NDArray w1, NDArray w2) {
      return (x, h) -> Mlp.relu(h, w1.get(x), w2.get(x));
    }

    /** One feed-forward per expert (imported checkpoints). */
    static Experts of(java.util.List<Mlp> list) {
      Mlp[] a = list.toArray(new Mlp[0]);
      return (x, h) -> a[x].apply(h);
    }
  }

  @Override
  public NDArray forward(NDArray h, Pass pass, LayerTrace trace) {
    TransformerModel.ForwardOptions opt = pass.options();
    Shape shape = h.getShape();
    int n = (int) (shape.get(0) * shape.get(1));
    int e = spec.experts();
    int k = spec.topK();
    long d = shape.get(2);
    long r0 = System.nanoTime();
    NDArray flat = h.reshape(n, d); // (N, d)
    NDArray routerIn = flat;
    if (opt.training() && training.jitter() > 0 && opt.jitterRng() != null) {
      float[] noise = new float[Math.toIntExact(n * d)];
      double eps = training.jitter();
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) (1 - eps + 2 * eps * opt.jitterRng().nextDouble());
      }
      routerIn = flat.mul(flat.getManager().create(noise, flat.getShape()));
    }
    // Weights and activations are float32 throughout, so the router runs in float32.
    NDArray logits = router.apply(routerIn); // (N, E)
    NDArray probs = logits.softmax(-1);
    float[] p = Floats.of(probs);
    int capacity =
        opt.enforceCapacity() && n > 1
            ? Router.capacity(spec.capacityFactor(), n, k, e)
            : Integer.MAX_VALUE;
    boolean renorm = spec.renormalise();
    Router.Routing routing =
        Router.route(
            p,
            // The z-loss needs the logits: every routed batch and a one-token prompt (position
            // 0) report it; a decode step (one token later in the sequence) skips the copy.
            trace == null || (n == 1 && pass.start() > 0) ? null : Floats.of(logits),
            n,
            e,
            k,
            renorm,
            capacity);
    if (opt.training() && opt.auxLosses() != null) {
      opt.auxLosses().add(loss(probs, logits, routing, n, e));
    }
    long r1 = System.nanoTime();
    if (trace != null) {
      trace.routerProbs = p;
      trace.routing = routing;
      trace.routerNanos = r1 - r0;
    }
    NDArray out;
    if (n == 1 && !opt.training()) {
      // Decode fast path: one token, k experts, gates as constants.
      out = null;
      for (int j = 0; j < k; j++) {
        int x = routing.experts()[0][j];
        NDArray y = experts.apply(x, flat).mul(routing.gates()[0][j]);
        out = out == null ? y : out.add(y);
      }
    } else {
      out = batched(flat, probs, routing, n, e, k, renorm);
    }
    if (shared != null) {
      NDArray s = shared.apply(flat); // (N, d)
      if (sharedGate != null) {
        NDArray g = Ops.sigmoid(sharedGate.apply(flat)); // (N, 1)
        if (trace != null) {
          trace.sharedGate = Floats.of(g);
        }
        s = s.mul(g);
      }
      out = out.add(s);
    }
    return out.reshape(shape);
  }

  /** Every kept (token, expert) pair through its expert, with gates that carry gradients. */
  private NDArray batched(
      NDArray flat, NDArray probs, Router.Routing routing, int n, int e, int k, boolean renorm) {
    // Gates as a function of probs: keep only the chosen (and kept) experts, renormalise for top-k.
    float[] chosen = new float[n * e];
    float[] keptMask = new float[n * e];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < k; j++) {
        int x = routing.experts()[t][j];
        chosen[t * e + x] = 1f;
        if (routing.kept()[t][j]) {
          keptMask[t * e + x] = 1f;
        }
      }
    }
    NDManager m = flat.getManager();
    NDArray gates = probs.mul(m.create(chosen, new Shape(n, e)));
    if (renorm) {
      gates = gates.div(gates.sum(new int[] {-1}, true));
    }
    gates = gates.mul(m.create(keptMask, new Shape(n, e))); // (N, E), zero where dropped
    NDList parts = new NDList();
    for (int x = 0; x < e; x++) {
      int count = routing.load()[x];
      if (count == 0) {
        continue;
      }
      long[] idx = new long[count];
      float[] scatter = new float[n * count]; // (N, n_x) one-hot: row t, column = slot of t
      int c = 0;
      for (int t = 0; t < n; t++) {
        if (keptMask[t * e + x] != 0f) {
          scatter[t * count + c] = 1f;
          idx[c++] = t;
        }
      }
      NDArray rows = m.create(idx);
      NDArray y = experts.apply(x, flat.get(rows)); // (n_x, d)
      NDArray g = gates.get(rows).get(new NDIndex(":, {}:{}", x, x + 1)); // (n_x, 1)
      parts.add(m.create(scatter, new Shape(n, count)).matMul(y.mul(g))); // (N, d)
    }
    NDArray out = flat.zerosLike();
    for (NDArray part : parts) {
      out = out.add(part);
    }
    return out;
  }

  /**
   * The differentiable router losses of one layer, weighted: aux_weight * E * sum_e f_e P_e (f_e
   * from the routing decisions, a constant; P_e = mean probability, differentiable) + z_weight *
   * mean_t logsumexp(logits_t)^2.
   */
  private NDArray loss(NDArray probs, NDArray logits, Router.Routing routing, int n, int e) {
    int k = spec.topK();
    float[] f = new float[e];
    for (int[] ex : routing.experts()) {
      for (int x : ex) {
        f[x] += 1f / (n * k);
      }
    }
    // Scalars as arrays of this step's scope. DJL's mul(float) makes a native scalar that it
    // frees after the call while autograd still holds it for the backward pass: gradients then
    // read freed memory (garbage, NaN). Every scalar in a differentiable expression is an array.
    NDManager m = probs.getManager();
    NDArray auxWeight = m.create((float) (e * training.auxWeight()));
    NDArray zWeight = m.create((float) training.zWeight());
    NDArray aux = probs.mean(new int[] {0}).mul(m.create(f)).sum().mul(auxWeight);
    NDArray max = logits.max(new int[] {-1}, true).stopGradient(); // (N, 1)
    NDArray lse = logits.sub(max).exp().sum(new int[] {-1}, true).log().add(max); // (N, 1)
    NDArray z = lse.square().mean().mul(zWeight);
    return aux.add(z);
  }
}
