package org.sparsityworkbench.engine.telemetry;

import java.util.List;

/**
 * The telemetry records of a decode, exactly the JSON-lines contract of PRODUCT.md. Component names
 * map to JSON field names in snake_case ({@code latencyUs} to {@code latency_us}); null components
 * are left out, so fields appear only where the family has them.
 */
public final class Records {
  private Records() {}

  /** Any record of the stream. */
  public sealed interface Record permits Prefill, Token, End {
    /** "prefill", "token" or "end". */
    String type();
  }

  /** One entry of a next-token distribution. */
  public record TopToken(int token, String text, double p) {}

  /**
   * The prompt's forward pass.
   *
   * @param tokens number of prompt tokens
   * @param ids the prompt's token ids
   * @param texts each prompt token's display text
   * @param session what was decoded and how (model, prompt, seed, sampling), written by the program
   *     that ran the decode (CLI, GUI export); null when none said
   * @param patches Megabyte with telemetry: the steps of the prefill, as {@link #withPatches} says;
   *     null otherwise
   */
  public record Prefill(
      String type,
      int tokens,
      int[] ids,
      String[] texts,
      double latencyUs,
      List<TopToken> top,
      List<PrefillLayer> layers,
      Session session,
      List<String> interventions,
      List<Patch> patches)
      implements Record {
    public Prefill(
        int tokens,
        int[] ids,
        String[] texts,
        double latencyUs,
        List<TopToken> top,
        List<PrefillLayer> layers) {
      this("prefill", tokens, ids, texts, latencyUs, top, layers, null, null, null);
    }

    /** A prefill without the prompt's ids and texts (tests that build records by hand). */
    public Prefill(int tokens, double latencyUs, List<TopToken> top, List<PrefillLayer> layers) {
      this("prefill", tokens, null, null, latencyUs, top, layers, null, null, null);
    }

    /** This record with what was decoded and how. */
    public Prefill withSession(Session s) {
      return new Prefill(
          type, tokens, ids, texts, latencyUs, top, layers, s, interventions, patches);
    }

    /** This record with the interventions that were in force (null or empty: none). */
    public Prefill withInterventions(List<String> in) {
      return new Prefill(
          type,
          tokens,
          ids,
          texts,
          latencyUs,
          top,
          layers,
          session,
          in == null || in.isEmpty() ? null : List.copyOf(in),
          patches);
    }

    /**
     * Megabyte: this record with the steps its prefill took, one {@link Patch} per global position
     * run (patches 0..n/P, {@code global_ran} true) and one per local position of the last patch.
     */
    public Prefill withPatches(List<Patch> p) {
      return new Prefill(
          type,
          tokens,
          ids,
          texts,
          latencyUs,
          top,
          layers,
          session,
          interventions,
          p == null || p.isEmpty() ? null : List.copyOf(p));
    }
  }

  /**
   * What a decode ran: the first record of a stream says it, so a file of records names its model,
   * prompt, seed and sampling options.
   *
   * @param model the model directory as given
   * @param family the model's family ("switch", ...)
   * @param prompt the prompt text
   * @param maxTokens tokens asked for
   * @param temperature sampling temperature (0: greedy)
   * @param topK top-k filter (0: off)
   * @param topP nucleus filter (1: off)
   * @param seed sampler seed
   * @param telemetry "off", "summary" or "full"
   * @param capacity whether the experts' capacity applied to the prompt
   * @param attentionWindow when not null, only the last this many token records carry their
   *     attention rows (the GUI keeps no more); null when every record does
   */
  public record Session(
      String model,
      String family,
      String prompt,
      int maxTokens,
      double temperature,
      int topK,
      double topP,
      long seed,
      String telemetry,
      boolean capacity,
      Integer attentionWindow) {}

  /** One layer of the prefill: routing or controller choices of every prompt token. */
  public record PrefillLayer(int index, PrefillRouter router, PrefillController controller) {}

  /**
   * Sparse FF controller choices of the prompt tokens in one layer.
   *
   * @param chosen [tokens][blocks] chosen unit (0..block_size-1) of every block
   */
  public record PrefillController(int blockSize, int[][] chosen) {}

  /**
   * Routing of the prompt tokens in one layer.
   *
   * @param probs [tokens][E] router probabilities (FULL only)
   * @param experts [tokens][k] chosen experts
   * @param kept [tokens][k] whether each choice survived the capacity limit
   * @param load kept assignments per expert
   */
  public record PrefillRouter(
      float[][] probs,
      int[][] experts,
      boolean[][] kept,
      int[] load,
      int capacity,
      int dropped,
      int droppedTokens,
      double auxLoss,
      double zLoss) {}

  /**
   * One decode step: token sampled, appended at position, processed; {@code interventions} lists
   * those in force for this step in their command-line form ({@code ban 1:3}), null when none.
   */
  public record Token(
      String type,
      int step,
      int position,
      int token,
      String text,
      List<TopToken> top,
      double latencyUs,
      List<TokenLayer> layers,
      List<String> interventions,
      Patch patch)
      implements Record {
    public Token(
        int step,
        int position,
        int token,
        String text,
        List<TopToken> top,
        double latencyUs,
        List<TokenLayer> layers) {
      this("token", step, position, token, text, top, latencyUs, layers, null, null);
    }

    /** This record with Megabyte's patch telemetry. */
    public Token withPatch(Patch p) {
      return new Token(type, step, position, token, text, top, latencyUs, layers, interventions, p);
    }

    /** This record with the interventions that were in force (null or empty: none). */
    public Token withInterventions(List<String> in) {
      return new Token(
          type,
          step,
          position,
          token,
          text,
          top,
          latencyUs,
          layers,
          in == null || in.isEmpty() ? null : List.copyOf(in),
          patch);
    }
  }

  /**
   * Megabyte (family megabyte only): where the byte predicted after this step lies and what ran.
   *
   * @param index the patch of the next position (floor(position / P))
   * @param inPatch the next position's byte within its patch (position mod P)
   * @param size bytes per patch (P)
   * @param globalRan whether the global model ran in this step (the next position begins a patch)
   * @param globalUs time in the global model (0 when it did not run)
   * @param localUs time in the local model
   * @param global when the global model ran, each of its layers at the new patch position: its
   *     attention over patches 0..index (full telemetry), router, controller, QKV modules and
   *     timing, as in a token's {@code layers}; null when it did not run or telemetry is off
   * @param local each local layer's attention of the next position over the positions of its patch
   *     so far, heads[h] with inPatch + 1 weights (full telemetry; null otherwise)
   */
  public record Patch(
      int index,
      int inPatch,
      int size,
      boolean globalRan,
      double globalUs,
      double localUs,
      List<TokenLayer> global,
      List<Attention> local) {}

  /**
   * One layer of a decode step; router, controller and qkv appear only where the family has them;
   * {@code lens}, with the logit lens on, the most probable next tokens read from the residual
   * stream after this layer (final norm, then the output head).
   */
  public record TokenLayer(
      int index,
      Attention attention,
      TokenRouter router,
      Controller controller,
      Qkv qkv,
      Timing timingUs,
      List<TopToken> lens) {
    public TokenLayer(
        int index,
        Attention attention,
        TokenRouter router,
        Controller controller,
        Qkv qkv,
        Timing timingUs) {
      this(index, attention, router, controller, qkv, timingUs, null);
    }
  }

  /**
   * The sparse FF controller's choice for the new token.
   *
   * @param blockSize units per block (N)
   * @param chosen chosen unit (0..N-1) of every block; the active unit of block j is j*N +
   *     chosen[j]
   * @param confidence softmax probability of each chosen unit within its block
   */
  public record Controller(int blockSize, int[] chosen, float[] confidence) {}

  /**
   * Sparse QKV module activity of the new token.
   *
   * @param modules root-mean-square of each module's multiplicative-layer output (S values)
   */
  public record Qkv(float[] modules) {}

  /** Attention of the new token: heads[h] has position+1 weights summing to 1. */
  public record Attention(float[][] heads) {}

  /**
   * Routing of the new token.
   *
   * @param probs router probabilities over E experts (FULL only)
   * @param experts chosen experts, most probable first
   * @param weights their gate weights
   * @param entropy entropy of the router distribution, nats
   * @param sharedGate the shared expert's gate sigmoid(x . w_g), where the layer has one
   */
  public record TokenRouter(
      float[] probs, int[] experts, float[] weights, double entropy, Double sharedGate) {
    /** Routing without a shared expert. */
    public TokenRouter(float[] probs, int[] experts, float[] weights, double entropy) {
      this(probs, experts, weights, entropy, null);
    }
  }

  /**
   * Wall time of a layer's components in microseconds: router only for MoE, controller only for
   * sparse FF (ffn then excludes the controller).
   */
  public record Timing(double attention, Double router, double ffn, Double controller) {}

  /**
   * The end of a decode.
   *
   * @param reason "max_tokens", "context_full" or "cancelled"
   * @param generated tokens generated
   * @param tokensPerS generated tokens per second of step time (prefill excluded)
   * @param wallTokensPerS generated tokens per second of wall time from the start of the first step
   *     to the end, so including what the step time leaves out: building the telemetry records and
   *     handing them to the listener (0 when nothing was generated)
   */
  public record End(
      String type,
      String reason,
      int generated,
      double tokensPerS,
      double wallTokensPerS,
      String text)
      implements Record {
    public End(
        String reason, int generated, double tokensPerS, double wallTokensPerS, String text) {
      this("end", reason, generated, tokensPerS, wallTokensPerS, text);
    }
  }
}
