package org.sparsityworkbench.engine.decode;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * Two models decoding the same prompt with the same sampling settings and seed, in lockstep. Each
 * continues its own text (A's and B's columns); the metrics compare the two next-token
 * distributions on the same context, A's text: a third session of B is fed A's tokens (teacher
 * forcing), so that the comparison is not confounded by the two texts drifting apart.
 */
public final class Comparison {
  private Comparison() {}

  /**
   * One lockstep of the comparison.
   *
   * @param a model A's token record (its own continuation)
   * @param b model B's token record
   * @param agree whether both models' most probable next tokens after A's text are the same
   * @param kl KL(p_A || p_B) of the next-token distributions after A's text, in bits
   * @param moved the layers where B, reading A's token, chose other experts than A did (null
   *     without telemetry or routing)
   */
  public record Step(
      int step, Records.Token a, Records.Token b, boolean agree, double kl, List<Integer> moved) {
    public Step(int step, Records.Token a, Records.Token b, boolean agree, double kl) {
      this(step, a, b, agree, kl, null);
    }
  }

  /**
   * Where a comparison's steps go; its {@link #sides} also receives each side's prefill record
   * before the first step and its end record after the last, so each side can be kept as a session.
   */
  @FunctionalInterface
  public interface Sink extends Consumer<Step> {
    /** The records of A and of B that frame the steps: both prefills, then both ends. */
    default void sides(Records.Record a, Records.Record b) {}
  }

  /** KL(p || q) in bits between the softmax distributions of two logit vectors. */
  public static double klBits(float[] logitsP, float[] logitsQ) {
    double[] p = Sampler.softmax(logitsP, 1.0);
    double[] q = Sampler.softmax(logitsQ, 1.0);
    double kl = 0;
    for (int i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        kl += p[i] * Math.log(p[i] / Math.max(q[i], 1e-300));
      }
    }
    return kl / Math.log(2);
  }

  /**
   * Runs the comparison on the calling thread until max tokens, a full context or cancellation.
   *
   * @throws IllegalArgumentException for a prompt that does not fit either model
   */
  /**
   * The prompt's ids, checked for both models: the two must read text the same way (one tokenizer),
   * or agreement and KL over their next-token distributions would compare different vocabularies.
   */
  public static int[] validate(LanguageModel a, LanguageModel b, String prompt) {
    if (!a.tokenizer().vocabularyId().equals(b.tokenizer().vocabularyId())) {
      throw new IllegalArgumentException(
          "compare needs two models with the same tokenizer ("
              + a.family()
              + " and "
              + b.family()
              + " tokenize differently)");
    }
    int[] ids = TokenDecoder.encodePrompt(a, prompt);
    TokenDecoder.validatePrompt(ids, b);
    return ids;
  }

  public static void run(
      LanguageModel a,
      LanguageModel b,
      String prompt,
      DecodeOptions options,
      Sink sink,
      BooleanSupplier cancelled) {
    run(a, options, b, options, validate(a, b, prompt), sink, cancelled);
  }

  /**
   * The comparison from given ids, each side with its own options (a what-if: one model, B with
   * interventions A has not), same seed and sampling when the options say so.
   */
  public static void run(
      LanguageModel a,
      DecodeOptions optionsA,
      LanguageModel b,
      DecodeOptions options,
      int[] bytes,
      Sink sink,
      BooleanSupplier cancelled) {
    TokenDecoder.validatePrompt(bytes, a);
    TokenDecoder.validatePrompt(bytes, b);
    try (TokenDecoder sa = TokenDecoder.open(a, optionsA);
        TokenDecoder sb = TokenDecoder.open(b, options);
        TokenDecoder forced = TokenDecoder.open(b, options)) {
      sink.sides(sa.prefill(bytes), sb.prefill(bytes));
      forced.prefill(bytes);
      String reason = "max_tokens";
      for (int s = 0; s < options.maxTokens(); s++) {
        if (cancelled.getAsBoolean()) {
          reason = "cancelled";
          break;
        }
        if (!sa.canStep() || !sb.canStep()) {
          reason = "context_full";
          break;
        }
        Records.Token ta = sa.step();
        Records.Token tb = sb.step();
        Records.Token tf = forced.stepWith(ta.token()); // B reads A's text
        float[] la = sa.nextLogits();
        float[] lb = forced.nextLogits();
        sink.accept(
            new Step(
                s,
                ta,
                tb,
                Sampler.argmax(la) == Sampler.argmax(lb),
                klBits(la, lb),
                moved(ta, tf)));
      }
      sink.sides(sa.end(reason), sb.end(reason));
    }
  }

  /** The layers where two records of the same token chose other experts; null without routing. */
  static List<Integer> moved(Records.Token a, Records.Token b) {
    if (a.layers() == null || b.layers() == null) {
      return null;
    }
    List<Integer> out = new java.util.ArrayList<>();
    boolean routed = false;
    for (int l = 0; l < Math.min(a.layers().size(), b.layers().size()); l++) {
      Records.TokenRouter ra = a.layers().get(l).router();
      Records.TokenRouter rb = b.layers().get(l).router();
      if (ra == null || rb == null) {
        continue;
      }
      routed = true;
      int[] x = ra.experts().clone();
      int[] y = rb.experts().clone();
      java.util.Arrays.sort(x);
      java.util.Arrays.sort(y);
      if (!java.util.Arrays.equals(x, y)) {
        out.add(l);
      }
    }
    return routed ? out : null;
  }
}
