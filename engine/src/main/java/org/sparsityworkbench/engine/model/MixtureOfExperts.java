package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
  public void choose(int layer, NDArray h, Pass pass, LayerTrace trace) {
    Shape shape = h.getShape();
    int n = (int) (shape.get(0) * shape.get(1));
    long r0 = System.nanoTime();
    NDArray logits = router.apply(h.reshape(n, shape.get(2)));
    float[] p = Floats.of(logits.softmax(-1));
    int capacity =
        pass.options().enforceCapacity() && n > 1
            ? Router.capacity(spec.capacityFactor(), n, spec.topK(), spec.experts())
            : Integer.MAX_VALUE;
    trace.routerProbs = p;
    trace.routing =
        Router.route(p, null, n, spec.experts(), spec.topK(), spec.renormalise(), capacity);
    trace.routerNanos = System.nanoTime() - r0;
  }

  @Override
  public NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace) {
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
    org.sparsityworkbench.engine.intervention.Interventions.Layer iv =
        opt.interventions().at(layer);
    // Weights and activations are float32 throughout, so the router runs in float32.
    NDArray logits = router.apply(routerIn); // (N, E)
    if (iv != null && iv.temperature() != 1) {
      logits = logits.div((float) iv.temperature());
    }
    NDArray probs = logits.softmax(-1);
    float[] p = Floats.of(probs);
    boolean[] banned = null;
    if (iv != null) {
      k = iv.topK();
      for (int x = 0; x < e; x++) {
        if (iv.banned()[x]) {
          banned = iv.banned();
          for (int t = 0; t < n; t++) {
            p[t * e + x] = 0f; // masked before the top-k, and so in the telemetry
          }
        }
      }
    }
    double factor =
        iv != null && iv.capacityFactor() != null ? iv.capacityFactor() : spec.capacityFactor();
    int capacity =
        opt.enforceCapacity() && n > 1 && factor > 0
            ? Router.capacity(factor, n, k, e)
            : Integer.MAX_VALUE;
    boolean renorm = spec.renormalise();
    Router.Routing routing =
        Router.route(
            p,
            // The z-loss needs the logits: every routed batch and a one-token prompt (position
            // 0) report it; a decode step (one token later in the sequence) skips the copy.
            trace == null || trace.choicesOnly || (n == 1 && pass.start() > 0)
                ? null
                : Floats.of(logits),
            n,
            e,
            k,
            renorm,
            capacity,
            banned,
            iv == null || iv.forced().length == 0 ? null : iv.forced());
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
    } else if (!opt.training()) {
      out = grouped(flat, routing, n, k);
    } else {
      out = batched(flat, probs, routing, n, e, k, renorm);
    }
    if (shared != null && (iv == null || !iv.sharedOff())) {
      NDArray s = shared.apply(flat); // (N, d)
      if (sharedGate != null) {
        NDArray g = Ops.sigmoid(sharedGate.apply(flat)); // (N, 1)
        if (trace != null && !trace.choicesOnly) {
          trace.sharedGate = Floats.of(g);
        }
        s = s.mul(g);
      }
      out = out.add(s);
    }
    return out.reshape(shape);
  }

  /**
   * Inference over N tokens: the kept (token, expert) assignments gathered in expert order (one
   * gather), each expert applied to its contiguous slice, scaled by the gates of {@link Router},
   * and gathered back into token order as (N, k, d) with a zero row for dropped assignments, summed
   * over k. No gradients; the same sums as {@link #batched} (whose one-hot products add exact
   * zeros), for about 4 + 2E native calls instead of N x n_x products per expert.
   */
  private NDArray grouped(NDArray flat, Router.Routing routing, int n, int k) {
    int e = spec.experts();
    int[] load = routing.load();
    int[] start = new int[e + 1];
    for (int x = 0; x < e; x++) {
      start[x + 1] = start[x] + load[x];
    }
    int assignments = start[e];
    long[] rows = new long[assignments]; // assignment a (in expert order) -> token
    float[] gates = new float[assignments];
    long[] back = new long[n * k]; // slot (t, j) -> assignment, or `assignments` (a zero row)
    int[] next = java.util.Arrays.copyOf(start, e);
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < k; j++) {
        if (routing.kept()[t][j]) {
          int a = next[routing.experts()[t][j]]++;
          rows[a] = t;
          gates[a] = routing.gates()[t][j];
          back[t * k + j] = a;
        } else {
          back[t * k + j] = assignments;
        }
      }
    }
    NDManager m = flat.getManager();
    long d = flat.getShape().get(1);
    NDList ys = new NDList();
    if (assignments > 0) {
      NDArray in = flat.get(m.create(rows)); // (A, d)
      for (int x = 0; x < e; x++) {
        if (load[x] > 0) {
          ys.add(experts.apply(x, in.get(new NDIndex("{}:{}", start[x], start[x + 1]))));
        }
      }
    }
    ys.add(m.zeros(new Shape(1, d), flat.getDataType()));
    NDArray gate =
        m.create(java.util.Arrays.copyOf(gates, assignments + 1), new Shape(assignments + 1, 1));
    NDArray y = (ys.size() == 1 ? ys.get(0) : NDArrays.concat(ys, 0)).mul(gate); // (A + 1, d)
    NDArray slots = y.get(m.create(back)); // (N k, d)
    return k == 1 ? slots : slots.reshape(n, k, d).sum(new int[] {1});
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
