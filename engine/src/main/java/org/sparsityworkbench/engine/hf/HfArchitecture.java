package org.sparsityworkbench.engine.hf;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.spec.AttentionSpec.QkNorm;

/**
 * What sets one Hugging Face architecture apart from the llama block they all share (RMSNorm,
 * rotary, grouped-query attention, SwiGLU): each field is checked against the architecture's
 * modeling file in transformers ({@code models/<model_type>/modeling_<model_type>.py}).
 *
 * @param modelType {@code model_type} in config.json
 * @param qkNorm where q/k RMSNorm sits (OLMoE: whole projection; Qwen3: per head)
 * @param qkvBias whether q, k, v projections have biases, from the config
 * @param outBias whether the output projection has a bias, from the config
 * @param experts how the experts' tensors are named, or NONE for a dense model
 * @param renormalise whether the top-k gates are renormalised, from the config
 * @param sparseStep Qwen-MoE's layer rule ({@code decoder_sparse_step}, {@code mlp_only_layers})
 * @param sharedExpert Qwen2-MoE's sigmoid-gated shared expert
 * @param granite Granite's embedding, attention, residual and logit multipliers
 */
public record HfArchitecture(
    String modelType,
    QkNorm qkNorm,
    Flag qkvBias,
    Flag outBias,
    ExpertNames experts,
    Flag renormalise,
    boolean sparseStep,
    boolean sharedExpert,
    boolean granite) {

  /** A boolean read from the config (with the architecture's default). */
  @FunctionalInterface
  public interface Flag {
    boolean of(HfConfig c) throws ModelFormatException;
  }

  /** The expert tensors' names. */
  public enum ExpertNames {
    /** A dense model: {@code mlp.gate_proj/up_proj/down_proj}. */
    NONE,
    /**
     * Mixtral: {@code block_sparse_moe.gate} and {@code block_sparse_moe.experts.M.w1/w3/w2} (gate,
     * up, down), or the fused {@code mlp.gate}, {@code mlp.experts.gate_up_proj/down_proj}.
     */
    MIXTRAL,
    /**
     * OLMoE, Qwen-MoE: {@code mlp.gate} and {@code mlp.experts.M.gate_proj/up_proj/down_proj}, or
     * the fused {@code mlp.experts.gate_up_proj/down_proj}.
     */
    QWEN,
    /**
     * Granite-MoE: {@code block_sparse_moe.router.layer} and the fused {@code
     * block_sparse_moe.input_linear} (E, 2I, H) (gate rows, then up) and {@code output_linear} (E,
     * H, I).
     */
    GRANITE
  }

  private static final Flag NO = c -> false;
  private static final Flag YES = c -> true;

  /** Every supported architecture by {@code model_type}. */
  public static final Map<String, HfArchitecture> REGISTRY = registry();

  private static Map<String, HfArchitecture> registry() {
    Map<String, HfArchitecture> m = new LinkedHashMap<>();
    Flag attentionBias = c -> c.bool("attention_bias", false);
    Flag normTopk = c -> c.bool("norm_topk_prob", false);
    add(
        m,
        new HfArchitecture(
            "llama",
            QkNorm.NONE,
            attentionBias,
            attentionBias,
            ExpertNames.NONE,
            NO,
            false,
            false,
            false));
    add(
        m,
        new HfArchitecture(
            "qwen2", QkNorm.NONE, YES, NO, ExpertNames.NONE, NO, false, false, false));
    add(
        m,
        new HfArchitecture(
            "qwen3",
            QkNorm.HEAD,
            attentionBias,
            attentionBias,
            ExpertNames.NONE,
            NO,
            false,
            false,
            false));
    add(
        m,
        new HfArchitecture(
            "mixtral", QkNorm.NONE, NO, NO, ExpertNames.MIXTRAL, YES, false, false, false));
    add(
        m,
        new HfArchitecture(
            "olmoe",
            QkNorm.PROJECTION,
            attentionBias,
            attentionBias,
            ExpertNames.QWEN,
            normTopk,
            false,
            false,
            false));
    add(
        m,
        new HfArchitecture(
            "qwen2_moe",
            QkNorm.NONE,
            c -> c.bool("qkv_bias", true),
            NO,
            ExpertNames.QWEN,
            normTopk,
            true,
            true,
            false));
    add(
        m,
        new HfArchitecture(
            "qwen3_moe",
            QkNorm.HEAD,
            attentionBias,
            attentionBias,
            ExpertNames.QWEN,
            normTopk,
            true,
            false,
            false));
    add(
        m,
        new HfArchitecture(
            "granitemoe",
            QkNorm.NONE,
            attentionBias,
            attentionBias,
            ExpertNames.GRANITE,
            YES,
            false,
            false,
            true));
    return java.util.Collections.unmodifiableMap(m);
  }

  private static void add(Map<String, HfArchitecture> m, HfArchitecture a) {
    m.put(a.modelType(), a);
  }

  /** The architecture of a config, or an error that lists the supported ones. */
  public static HfArchitecture of(HfConfig c) throws ModelFormatException {
    String type = c.modelType();
    HfArchitecture a = REGISTRY.get(type);
    if (a == null) {
      throw c.error(
          "model_type",
          "'"
              + type
              + "' is not supported (supported: "
              + String.join(", ", REGISTRY.keySet())
              + ")");
    }
    return a;
  }

  /** True for the mixture-of-experts architectures. */
  public boolean routed() {
    return experts != ExpertNames.NONE;
  }
}
