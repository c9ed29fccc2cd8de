package org.sparsityworkbench.engine.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsityworkbench.engine.config.ModelConfig;

/**
 * What a model is and costs: parameters total and active per token, FLOPs per token.
 *
 * @param architecture one line: family, width, layers, heads, feed-forward, experts
 * @param config the configuration as JSON-able data
 * @param flopsFirst FLOPs to decode the token at position 0
 * @param flopsLast FLOPs to decode the token at the last position of the context
 * @param contextLength the longest sequence
 */
public record ModelSummary(
    String architecture,
    Object config,
    long totalParams,
    long activeParams,
    long flopsFirst,
    long flopsLast,
    int contextLength) {

  /** Computes the summary of a native configuration. */
  public static ModelSummary of(ModelConfig c) {
    return new ModelSummary(
        architecture(c),
        c.toMap(),
        ParameterLayout.total(c),
        ParameterLayout.activePerToken(c),
        ParameterLayout.flopsPerToken(c, 0),
        ParameterLayout.flopsPerToken(c, c.contextLength() - 1),
        c.contextLength());
  }

  /**
   * The summary of a loaded model. Imported models: parameters counted from the tensors; active per
   * token = all but the (E - k) unchosen experts of every routed layer; FLOPs = 2 per multiply-add
   * of every matrix a token passes through (the embedding is a lookup, unless it is also the tied
   * head) plus 4 h per head and key in attention.
   */
  public static ModelSummary of(TransformerModel m) {
    if (m.isNative()) {
      return of(m.config());
    }
    org.sparsityworkbench.engine.spec.ModelSpec spec = m.spec();
    long total = 0;
    for (ai.djl.ndarray.NDArray a : m.params().values()) {
      total += a.size();
    }
    long d = spec.dModel();
    long inactive = 0;
    long attention = 0;
    StringBuilder experts = new StringBuilder();
    int routedLayers = 0;
    for (org.sparsityworkbench.engine.spec.BlockSpec b : spec.blocks()) {
      attention += 4L * b.attention().heads() * b.attention().headDim();
      if (b.feedForward() instanceof org.sparsityworkbench.engine.spec.FeedForwardSpec.Moe moe) {
        routedLayers++;
        inactive += (long) (moe.experts() - moe.topK()) * 3 * moe.expert().width() * d;
        if (experts.isEmpty()) {
          experts.append(", ").append(moe.experts()).append(" experts top-").append(moe.topK());
          experts.append(" (width ").append(moe.expert().width()).append(")");
          if (moe.shared() != null) {
            experts.append(" + shared expert (width ").append(moe.shared().width()).append(")");
          }
        }
      }
    }
    if (routedLayers > 0 && routedLayers < spec.layers()) {
      experts
          .append(" in ")
          .append(routedLayers)
          .append(" of ")
          .append(spec.layers())
          .append(" layers");
    }
    long active = total - inactive;
    long lookup = spec.head().tied() ? 0 : (long) spec.vocabSize() * d;
    long matmul = 2 * (active - lookup);
    var a0 = spec.block(0).attention();
    String arch =
        spec.family()
            + ": hidden "
            + d
            + ", "
            + spec.layers()
            + " layers, "
            + a0.heads()
            + " heads ("
            + a0.kvHeads()
            + " key/value), head_dim "
            + a0.headDim()
            + experts
            + ", vocabulary "
            + spec.vocabSize()
            + ", context "
            + spec.contextLength();
    return new ModelSummary(
        arch,
        com.google.gson.JsonParser.parseString(m.configJson()),
        total,
        active,
        matmul + attention,
        matmul + attention * spec.contextLength(),
        spec.contextLength());
  }

  /**
   * A Megabyte model's summary, per byte. Active parameters: one row of the byte embedding and of
   * the byte positions, the projection to the local width, the local model (its embedding once, as
   * the tied head) and the global model's active parameters (all but the unchosen experts or sparse
   * units) divided by P, since the global model runs once per patch. FLOPs at a byte of patch k,
   * position p in it: (global FLOPs of a token at position k, without a head) / P, plus the
   * projection 2 D_G D_L, plus the local model's FLOPs at position p (its head included).
   */
  public static ModelSummary of(org.sparsityworkbench.engine.config.MegabyteConfig c) {
    ModelConfig g = c.global();
    ModelConfig l = c.local();
    int p = c.patchSize();
    long globalActive = ParameterLayout.activePerToken(g) - (long) g.vocabSize() * g.dModel();
    globalActive -= g.dModel(); // activePerToken counts one position row; Megabyte has none
    long localActive = ParameterLayout.activePerToken(l) - l.dModel();
    long projection = (long) c.globalByteDim() * l.dModel();
    long active = 2L * c.globalByteDim() + projection + localActive + globalActive / p;
    long globalHead = 2L * g.dModel() * g.vocabSize();
    long first = (ParameterLayout.flopsPerToken(g, 0) - globalHead) / p;
    long last = (ParameterLayout.flopsPerToken(g, c.patches() - 1) - globalHead) / p;
    long perByte = 2 * projection;
    String arch =
        "megabyte: patches of "
            + p
            + " bytes, context "
            + c.contextLength()
            + "; global "
            + architecture(g)
            + "; local "
            + architecture(l);
    return new ModelSummary(
        arch,
        c.toMap(),
        org.sparsityworkbench.engine.model.MegabyteModel.parameters(c),
        active,
        first + perByte + ParameterLayout.flopsPerToken(l, 0),
        last + perByte + ParameterLayout.flopsPerToken(l, p - 1),
        c.contextLength());
  }

  /** One line: "switch: d=128, 4 layers, 4 heads, d_ff 512, 8 experts top-1". */
  private static String architecture(ModelConfig c) {
    String s =
        c.family()
            + ": d_model "
            + c.dModel()
            + ", "
            + c.nLayers()
            + " layers, "
            + c.nHeads()
            + " heads, d_ff "
            + c.dFf()
            + ", context "
            + c.contextLength();
    if (c.family().isMoe()) {
      s +=
          ", "
              + c.numExperts()
              + " experts, top-"
              + c.topK()
              + ", capacity factor "
              + c.capacityFactor();
    }
    if (c.family().hasSparseFf()) {
      s +=
          ", "
              + c.blocks()
              + " blocks of "
              + c.blockSize()
              + ", controller rank "
              + c.controllerRank();
    }
    if (c.family().hasSparseQkv()) {
      s += ", " + c.qkvModules() + " QKV modules, conv kernel " + c.convKernel();
    }
    return s;
  }

  /** The summary as an ordered map for JSON output. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("architecture", architecture);
    m.put("config", config);
    m.put("params_total", totalParams);
    m.put("params_active_per_token", activeParams);
    m.put("flops_per_token_first", flopsFirst);
    m.put("flops_per_token_last", flopsLast);
    m.put("weights_bytes_float32", totalParams * Float.BYTES);
    return m;
  }

  /** A count in human units: 1.23M. */
  public static String human(long n) {
    if (n >= 1_000_000_000L) {
      return String.format("%.2fG", n / 1e9);
    }
    if (n >= 1_000_000L) {
      return String.format("%.2fM", n / 1e6);
    }
    if (n >= 1_000L) {
      return String.format("%.1fk", n / 1e3);
    }
    return Long.toString(n);
  }
}
