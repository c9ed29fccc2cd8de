package org.sparsityworkbench.engine.intervention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.sparsityworkbench.engine.decode.Comparison;
import org.sparsityworkbench.engine.decode.Sampler;
import org.sparsityworkbench.engine.model.Floats;
import org.sparsityworkbench.engine.model.KvCache;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.spec.FeedForwardSpec;

/**
 * The effect of each expert of a layer on one token: the token's pass is run again once per expert
 * with that expert alone banned in that layer (the context before it as it was), and its next-token
 * distribution compared with the original's. On the calling thread (the engine's).
 */
public final class ExpertEffects {
  private ExpertEffects() {}

  /**
   * One expert's effect.
   *
   * @param expert the banned expert
   * @param chosen whether the token chose it originally (banning another changes nothing)
   * @param klBits KL(p || p_banned) in bits, p the original next-token distribution
   * @param top the most probable next token with the expert banned
   * @param topP its probability with the expert banned
   * @param topChanged whether it differs from the original's most probable token
   */
  public record Effect(
      int expert, boolean chosen, double klBits, int top, double topP, boolean topChanged) {}

  /**
   * The effects of banning each expert of a layer, one at a time, for the token at the end of
   * {@code ids}.
   *
   * @param ids the sequence up to and including the token (prompt and generated tokens)
   * @param inForce the interventions the decode ran with (kept; the ban is added)
   * @param progress hears each expert done (1..E)
   * @param cancelled checked between experts; a cancelled run returns the effects so far
   * @return the original's most probable next token first as {@code Effect(-1, ...)}, then one per
   *     expert
   * @throws IllegalArgumentException when the layer does not route, or ids do not fit the context
   */
  public static List<Effect> of(
      TransformerModel model,
      int[] ids,
      int layer,
      List<Intervention> inForce,
      IntConsumer progress,
      BooleanSupplier cancelled) {
    var spec = model.spec();
    if (layer < 0
        || layer >= spec.layers()
        || !(spec.block(layer).feedForward() instanceof FeedForwardSpec.Moe moe)) {
      throw new IllegalArgumentException(
          "layer " + layer + " of " + spec.family() + " does not route");
    }
    if (ids.length < 1 || ids.length > spec.contextLength()) {
      throw new IllegalArgumentException(
          ids.length + " tokens do not fit the context of " + spec.contextLength());
    }
    Interventions base = Interventions.of(inForce, spec);
    List<Effect> out = new ArrayList<>();
    try (NDManager m = model.manager().newSubManager();
        KvCache before = new KvCache(m, spec, ids.length)) {
      var opt = TransformerModel.ForwardOptions.inference(false).with(base);
      if (ids.length > 1) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          long[] head = new long[ids.length - 1];
          for (int i = 0; i < head.length; i++) {
            head[i] = ids[i];
          }
          model.forward(m.create(head, new Shape(1, head.length)), before, opt, null);
        }
      }
      List<LayerTrace> traces = new ArrayList<>();
      float[] original = step(model, m, before, ids[ids.length - 1], opt, traces);
      double[] p = Sampler.softmax(original, 1.0);
      int top = Sampler.argmax(original);
      int[] chosen = traces.get(layer).routing.experts()[0];
      out.add(new Effect(-1, false, 0, top, p[top], false));
      for (int e = 0; e < moe.experts(); e++) {
        if (cancelled.getAsBoolean()) {
          break;
        }
        List<Intervention> with = new ArrayList<>(inForce);
        with.add(new Intervention.BanExpert(layer, e));
        Interventions iv;
        try {
          iv = Interventions.of(with, spec);
        } catch (IllegalArgumentException refused) {
          continue; // e.g. forced in the decode: it cannot be banned as well
        }
        float[] banned = step(model, m, before, ids[ids.length - 1], opt.with(iv), null);
        double[] q = Sampler.softmax(banned, 1.0);
        int t = Sampler.argmax(banned);
        boolean was = false;
        for (int c : chosen) {
          was |= c == e;
        }
        out.add(new Effect(e, was, Comparison.klBits(original, banned), t, q[t], t != top));
        progress.accept(e + 1);
      }
    }
    return out;
  }

  /** The token's pass on a copy of the cache: its next-token logits. */
  private static float[] step(
      TransformerModel model,
      NDManager m,
      KvCache before,
      int token,
      TransformerModel.ForwardOptions opt,
      List<LayerTrace> traces) {
    try (KvCache c = before.copy(m);
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray in = m.create(new long[] {token}, new Shape(1, 1));
      return Floats.of(model.forward(in, c, opt, traces));
    }
  }
}
