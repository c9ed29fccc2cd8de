package org.sparsityworkbench.engine.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Hyper-parameters of one model, as read from {@code config.json}. Every field is validated on
 * construction; unknown and missing fields are errors, never guesses.
 *
 * <p>Mixture-of-experts fields ({@code num_experts} .. {@code z_loss_weight}) exist only for the
 * {@code switch} and {@code topk} families and are zero for {@code dense}.
 *
 * @param family the model family
 * @param vocabSize vocabulary size; byte-level, so always 256
 * @param dModel width of the residual stream (d)
 * @param nLayers number of transformer blocks
 * @param nHeads attention heads; {@code dModel} must be a multiple
 * @param dFf hidden units of the feed-forward (of each expert for MoE)
 * @param contextLength maximum sequence length (learned positions)
 * @param normEps epsilon of RMSNorm
 * @param numExperts experts per MoE layer (E)
 * @param topK experts chosen per token (k); 1 for Switch
 * @param capacityFactor expert capacity = ceil(factor * tokens * k / E) when a batch is routed
 * @param routerJitter multiplicative jitter epsilon on the router input, training only
 * @param auxLossWeight weight of the load-balancing loss in training
 * @param zLossWeight weight of the router z-loss in training
 * @param blockSize sparse FF: units per block (N); the controller picks one unit per block
 * @param controllerRank sparse FF: rank of the low-rank controller (d_lowrank)
 * @param gumbelTemperature sparse FF: scale of the Gumbel noise in training
 * @param quantProb sparse FF: probability that a training batch uses the quantised
 *     (straight-through) mask rather than the soft one
 * @param qkvModules sparse QKV: number of modules (S) of the multiplicative layer
 * @param convKernel sparse QKV: causal kernel length of the convolution over positions
 */
public record ModelConfig(
    Family family,
    int vocabSize,
    int dModel,
    int nLayers,
    int nHeads,
    int dFf,
    int contextLength,
    double normEps,
    int numExperts,
    int topK,
    double capacityFactor,
    double routerJitter,
    double auxLossWeight,
    double zLossWeight,
    int blockSize,
    int controllerRank,
    double gumbelTemperature,
    double quantProb,
    int qkvModules,
    int convKernel) {

  /** The byte-level vocabulary: every model reads and writes bytes. */
  public static final int BYTE_VOCAB = 256;

  /** Largest accepted width, so that no tensor dimension can overflow native indexing. */
  public static final int MAX_DIM = 16_384;

  private static final List<String> COMMON_FIELDS =
      List.of(
          "family",
          "vocab_size",
          "d_model",
          "n_layers",
          "n_heads",
          "d_ff",
          "context_length",
          "norm_eps");
  private static final List<String> SPARSE_FF_FIELDS =
      List.of("block_size", "controller_rank", "gumbel_temperature", "quant_prob");
  private static final List<String> SPARSE_QKV_FIELDS = List.of("qkv_modules", "conv_kernel");
  private static final List<String> MOE_FIELDS =
      List.of(
          "num_experts",
          "top_k",
          "capacity_factor",
          "router_jitter",
          "aux_loss_weight",
          "z_loss_weight");

  /** Validates every field; the message of the exception names the field and the value. */
  public ModelConfig {
    if (family == null) {
      throw new IllegalArgumentException("field 'family' is required");
    }
    require(vocabSize == BYTE_VOCAB, "vocab_size", vocabSize, "must be 256 (byte-level models)");
    require(dModel >= 1 && dModel <= MAX_DIM, "d_model", dModel, "must be in 1.." + MAX_DIM);
    require(nLayers >= 1 && nLayers <= 256, "n_layers", nLayers, "must be in 1..256");
    require(nHeads >= 1 && nHeads <= dModel, "n_heads", nHeads, "must be in 1..d_model");
    require(
        dModel % nHeads == 0,
        "n_heads",
        nHeads,
        "must divide d_model (" + dModel + "); head size would not be whole");
    require(dFf >= 1 && dFf <= 4 * MAX_DIM, "d_ff", dFf, "must be in 1.." + 4 * MAX_DIM);
    require(
        contextLength >= 2 && contextLength <= 65_536,
        "context_length",
        contextLength,
        "must be in 2..65536");
    require(normEps > 0 && normEps < 1, "norm_eps", normEps, "must be in (0, 1)");
    if (family.isMoe()) {
      require(numExperts >= 2 && numExperts <= 256, "num_experts", numExperts, "must be in 2..256");
      require(
          topK >= 1 && topK <= numExperts,
          "top_k",
          topK,
          "must be in 1..num_experts (" + numExperts + ")");
      if (family == Family.SWITCH) {
        require(topK == 1, "top_k", topK, "must be 1 for the switch family (use topk for k > 1)");
      }
      require(
          capacityFactor > 0 && capacityFactor <= 1000,
          "capacity_factor",
          capacityFactor,
          "must be in (0, 1000]");
      require(
          routerJitter >= 0 && routerJitter < 1,
          "router_jitter",
          routerJitter,
          "must be in [0, 1)");
      require(auxLossWeight >= 0, "aux_loss_weight", auxLossWeight, "must be >= 0");
      require(zLossWeight >= 0, "z_loss_weight", zLossWeight, "must be >= 0");
    } else {
      require(numExperts == 0, "num_experts", numExperts, "exists only for MoE families");
      require(topK == 0, "top_k", topK, "exists only for MoE families");
    }
    if (family.hasSparseFf()) {
      require(blockSize >= 2 && blockSize <= dFf, "block_size", blockSize, "must be in 2..d_ff");
      require(
          dFf % blockSize == 0,
          "block_size",
          blockSize,
          "must divide d_ff (" + dFf + ") into whole blocks");
      require(
          controllerRank >= 1 && controllerRank <= dFf,
          "controller_rank",
          controllerRank,
          "must be in 1..d_ff");
      require(
          gumbelTemperature >= 0 && gumbelTemperature <= 10,
          "gumbel_temperature",
          gumbelTemperature,
          "must be in [0, 10]");
      require(quantProb >= 0 && quantProb <= 1, "quant_prob", quantProb, "must be in [0, 1]");
    } else {
      require(blockSize == 0, "block_size", blockSize, "exists only for sparse-ff families");
      require(controllerRank == 0, "controller_rank", controllerRank, "exists only for sparse-ff");
    }
    if (family.hasSparseQkv()) {
      require(
          qkvModules >= 2 && qkvModules <= dModel,
          "qkv_modules",
          qkvModules,
          "must be in 2..d_model");
      require(
          dModel % qkvModules == 0,
          "qkv_modules",
          qkvModules,
          "must divide d_model (" + dModel + ") into whole modules");
      require(convKernel >= 1 && convKernel <= 16, "conv_kernel", convKernel, "must be in 1..16");
    } else {
      require(qkvModules == 0, "qkv_modules", qkvModules, "exists only for sparse-qkv families");
      require(convKernel == 0, "conv_kernel", convKernel, "exists only for sparse-qkv families");
    }
  }

  /** A configuration without the Scaling Transformers fields (dense and MoE families). */
  public ModelConfig(
      Family family,
      int vocabSize,
      int dModel,
      int nLayers,
      int nHeads,
      int dFf,
      int contextLength,
      double normEps,
      int numExperts,
      int topK,
      double capacityFactor,
      double routerJitter,
      double auxLossWeight,
      double zLossWeight) {
    this(
        family,
        vocabSize,
        dModel,
        nLayers,
        nHeads,
        dFf,
        contextLength,
        normEps,
        numExperts,
        topK,
        capacityFactor,
        routerJitter,
        auxLossWeight,
        zLossWeight,
        0,
        0,
        0,
        0,
        0,
        0);
  }

  /**
   * A Scaling Transformers configuration (sparse-ff, sparse-qkv or sparse-ffqkv). Fields of the
   * other sparse layer are ignored (zeroed) when the family does not have it.
   */
  public static ModelConfig sparse(
      Family family,
      int dModel,
      int nLayers,
      int nHeads,
      int dFf,
      int context,
      int blockSize,
      int controllerRank,
      int qkvModules,
      int convKernel) {
    boolean ff = family.hasSparseFf();
    boolean qkv = family.hasSparseQkv();
    if (!ff && !qkv) {
      throw new IllegalArgumentException(
          "family '" + family + "' is not a Scaling Transformers one");
    }
    return new ModelConfig(
        family,
        BYTE_VOCAB,
        dModel,
        nLayers,
        nHeads,
        dFf,
        context,
        1e-5,
        0,
        0,
        0,
        0,
        0,
        0,
        ff ? blockSize : 0,
        ff ? controllerRank : 0,
        ff ? 0.1 : 0,
        ff ? 0.3 : 0,
        qkv ? qkvModules : 0,
        qkv ? convKernel : 0);
  }

  /** This configuration with another context length (validated like any other). */
  public ModelConfig withContextLength(int n) {
    return new ModelConfig(
        family,
        vocabSize,
        dModel,
        nLayers,
        nHeads,
        dFf,
        n,
        normEps,
        numExperts,
        topK,
        capacityFactor,
        routerJitter,
        auxLossWeight,
        zLossWeight,
        blockSize,
        controllerRank,
        gumbelTemperature,
        quantProb,
        qkvModules,
        convKernel);
  }

  private static void require(boolean ok, String field, Object value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException("field '" + field + "' = " + value + ": " + rule);
    }
  }

  /** A dense configuration. */
  public static ModelConfig dense(int dModel, int nLayers, int nHeads, int dFf, int context) {
    return new ModelConfig(
        Family.DENSE, BYTE_VOCAB, dModel, nLayers, nHeads, dFf, context, 1e-5, 0, 0, 0, 0, 0, 0);
  }

  /**
   * A mixture-of-experts configuration with the usual loss weights (Switch: 0.01, ST-MoE: 1e-3).
   */
  public static ModelConfig moe(
      Family family,
      int dModel,
      int nLayers,
      int nHeads,
      int dFf,
      int context,
      int experts,
      int topK,
      double capacityFactor) {
    return new ModelConfig(
        family,
        BYTE_VOCAB,
        dModel,
        nLayers,
        nHeads,
        dFf,
        context,
        1e-5,
        experts,
        topK,
        capacityFactor,
        0.01,
        0.01,
        0.001);
  }

  /** Sparse FF: number of blocks (d_ff / N), i.e. units active per token. */
  public int blocks() {
    return blockSize == 0 ? 0 : dFf / blockSize;
  }

  /** Sparse QKV: width of one module (d / S). */
  public int moduleDim() {
    return qkvModules == 0 ? 0 : dModel / qkvModules;
  }

  /** Size of one attention head. */
  public int headDim() {
    return dModel / nHeads;
  }

  /** Reads and validates {@code config.json}. */
  public static ModelConfig read(Path file) throws ModelFormatException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
    return parse(text, file.toString());
  }

  /**
   * What the JSON parser found, in words: "the text ends too early, at line 1 column 19" rather
   * than Gson's "java.io.EOFException: End of input at line 1 column 19 path $.family".
   */
  static String jsonProblem(Exception e) {
    Throwable t = e;
    while (t.getCause() != null && !(t instanceof java.io.EOFException)) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? e.getMessage() : t.getMessage();
    m = m == null ? "" : m.replaceAll("^([a-z]+\\.)+[A-Za-z]*(Exception|Error): ", "");
    m = m.replaceAll(" path \\$.*$", "");
    if (t instanceof java.io.EOFException) {
      java.util.regex.Matcher where =
          java.util.regex.Pattern.compile("line \\d+ column \\d+").matcher(m);
      return "the text ends too early" + (where.find() ? ", at " + where.group() : "");
    }
    return m;
  }

  /**
   * Parses and validates a configuration.
   *
   * @param source the name to use in error messages (usually the file path)
   */
  public static ModelConfig parse(String json, String source) throws ModelFormatException {
    JsonObject o;
    try {
      JsonReader reader = new JsonReader(new StringReader(json));
      reader.setStrictness(Strictness.STRICT);
      JsonElement e = JsonParser.parseReader(reader);
      if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
        throw new ModelFormatException(source + ": not valid JSON (text after the closing brace)");
      }
      if (!e.isJsonObject()) {
        throw new ModelFormatException(source + ": expected a JSON object");
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException | IOException e) {
      throw new ModelFormatException(source + ": not valid JSON (" + jsonProblem(e) + ")", e);
    }
    Fields f = new Fields(o, source);
    Family family;
    try {
      family = Family.parse(f.string("family"));
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": field 'family': " + e.getMessage(), e);
    }
    Set<String> allowed = new LinkedHashSet<>(COMMON_FIELDS);
    if (family.isMoe()) {
      allowed.addAll(MOE_FIELDS);
    }
    if (family.hasSparseFf()) {
      allowed.addAll(SPARSE_FF_FIELDS);
    }
    if (family.hasSparseQkv()) {
      allowed.addAll(SPARSE_QKV_FIELDS);
    }
    Set<String> unknown = new TreeSet<>(o.keySet());
    unknown.removeAll(allowed);
    if (!unknown.isEmpty()) {
      throw new ModelFormatException(
          source + ": unknown field(s) " + unknown + " for family '" + family + "'");
    }
    try {
      boolean moe = family.isMoe();
      boolean ff = family.hasSparseFf();
      boolean qkv = family.hasSparseQkv();
      return new ModelConfig(
          family,
          f.integer("vocab_size"),
          f.integer("d_model"),
          f.integer("n_layers"),
          f.integer("n_heads"),
          f.integer("d_ff"),
          f.integer("context_length"),
          f.number("norm_eps"),
          moe ? f.integer("num_experts") : 0,
          moe ? f.integer("top_k") : 0,
          moe ? f.number("capacity_factor") : 0,
          moe ? f.number("router_jitter") : 0,
          moe ? f.number("aux_loss_weight") : 0,
          moe ? f.number("z_loss_weight") : 0,
          ff ? f.integer("block_size") : 0,
          ff ? f.integer("controller_rank") : 0,
          ff ? f.number("gumbel_temperature") : 0,
          ff ? f.number("quant_prob") : 0,
          qkv ? f.integer("qkv_modules") : 0,
          qkv ? f.integer("conv_kernel") : 0);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": " + e.getMessage(), e);
    }
  }

  /** The configuration as the ordered map written to {@code config.json}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("family", family.id());
    m.put("vocab_size", vocabSize);
    m.put("d_model", dModel);
    m.put("n_layers", nLayers);
    m.put("n_heads", nHeads);
    m.put("d_ff", dFf);
    m.put("context_length", contextLength);
    m.put("norm_eps", normEps);
    if (family.isMoe()) {
      m.put("num_experts", numExperts);
      m.put("top_k", topK);
      m.put("capacity_factor", capacityFactor);
      m.put("router_jitter", routerJitter);
      m.put("aux_loss_weight", auxLossWeight);
      m.put("z_loss_weight", zLossWeight);
    }
    if (family.hasSparseFf()) {
      m.put("block_size", blockSize);
      m.put("controller_rank", controllerRank);
      m.put("gumbel_temperature", gumbelTemperature);
      m.put("quant_prob", quantProb);
    }
    if (family.hasSparseQkv()) {
      m.put("qkv_modules", qkvModules);
      m.put("conv_kernel", convKernel);
    }
    return m;
  }

  /** Typed, named access to the fields of a JSON object with errors that name the field. */
  private record Fields(JsonObject o, String source) {
    private JsonPrimitive primitive(String name) throws ModelFormatException {
      JsonElement e = o.get(name);
      if (e == null || e.isJsonNull()) {
        throw new ModelFormatException(source + ": missing field '" + name + "'");
      }
      if (!e.isJsonPrimitive()) {
        throw new ModelFormatException(
            source + ": field '" + name + "' must be a scalar, got " + e);
      }
      return e.getAsJsonPrimitive();
    }

    String string(String name) throws ModelFormatException {
      JsonPrimitive p = primitive(name);
      if (!p.isString()) {
        throw new ModelFormatException(
            source + ": field '" + name + "' must be a string, got " + p);
      }
      return p.getAsString();
    }

    double number(String name) throws ModelFormatException {
      JsonPrimitive p = primitive(name);
      if (!p.isNumber()) {
        throw new ModelFormatException(
            source + ": field '" + name + "' must be a number, got " + p);
      }
      double v = p.getAsDouble();
      if (!Double.isFinite(v)) {
        throw new ModelFormatException(source + ": field '" + name + "' must be finite, got " + p);
      }
      return v;
    }

    int integer(String name) throws ModelFormatException {
      JsonPrimitive p = primitive(name);
      double v = p.isNumber() ? p.getAsDouble() : Double.NaN;
      if (!p.isNumber() || v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
        throw new ModelFormatException(
            source + ": field '" + name + "' must be an integer, got " + p);
      }
      return (int) v;
    }
  }
}
