package org.sparsityworkbench.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelConfigTest {
  private static final String SOURCE = "models/tiny-moe/config.json";

  private static final String DENSE =
      """
      {
        "family": "dense",
        "vocab_size": 256,
        "d_model": 64,
        "n_layers": 2,
        "n_heads": 4,
        "d_ff": 256,
        "context_length": 128,
        "norm_eps": 1e-5
      }
      """;

  private static final String SWITCH =
      """
      {
        "family": "switch",
        "vocab_size": 256,
        "d_model": 32,
        "n_layers": 3,
        "n_heads": 2,
        "d_ff": 64,
        "context_length": 64,
        "norm_eps": 1e-6,
        "num_experts": 8,
        "top_k": 1,
        "capacity_factor": 1.25,
        "router_jitter": 0.01,
        "aux_loss_weight": 0.01,
        "z_loss_weight": 0.001
      }
      """;

  private static final String TOPK =
      SWITCH.replace("\"switch\"", "\"topk\"").replace("\"top_k\": 1", "\"top_k\": 2");

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private static JsonObject with(String base, String field, JsonElement value) {
    JsonObject o = json(base);
    o.add(field, value);
    return o;
  }

  private static JsonObject with(String base, String field, Number value) {
    JsonObject o = json(base);
    o.addProperty(field, value);
    return o;
  }

  private static JsonObject with(String base, String field, String value) {
    JsonObject o = json(base);
    o.addProperty(field, value);
    return o;
  }

  private static JsonObject without(String base, String field) {
    JsonObject o = json(base);
    o.remove(field);
    return o;
  }

  /** Asserts that parsing fails and the message names the source and contains every fragment. */
  private static ModelFormatException assertRejected(String text, String... fragments) {
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> ModelConfig.parse(text, SOURCE));
    String m = e.getMessage();
    assertTrue(m.startsWith(SOURCE + ": "), () -> "message does not name the source: " + m);
    for (String f : fragments) {
      assertTrue(m.contains(f), () -> "message does not contain '" + f + "': " + m);
    }
    return e;
  }

  private static ModelFormatException assertRejected(JsonObject o, String... fragments) {
    return assertRejected(o.toString(), fragments);
  }

  // ---------------------------------------------------------------------------------------------
  // Valid configurations

  @Test
  void parsesValidDenseConfig() throws Exception {
    ModelConfig c = ModelConfig.parse(DENSE, SOURCE);
    assertEquals(Family.DENSE, c.family());
    assertEquals(256, c.vocabSize());
    assertEquals(64, c.dModel());
    assertEquals(2, c.nLayers());
    assertEquals(4, c.nHeads());
    assertEquals(256, c.dFf());
    assertEquals(128, c.contextLength());
    assertEquals(1e-5, c.normEps());
    assertEquals(16, c.headDim(), "64 / 4");
    assertEquals(0, c.numExperts(), "MoE fields are zero for dense");
    assertEquals(0, c.topK());
    assertEquals(0.0, c.capacityFactor());
    assertEquals(0.0, c.routerJitter());
    assertEquals(0.0, c.auxLossWeight());
    assertEquals(0.0, c.zLossWeight());
    assertEquals(ModelConfig.dense(64, 2, 4, 256, 128), c);
  }

  @Test
  void parsesValidSwitchConfig() throws Exception {
    ModelConfig c = ModelConfig.parse(SWITCH, SOURCE);
    assertEquals(
        new ModelConfig(Family.SWITCH, 256, 32, 3, 2, 64, 64, 1e-6, 8, 1, 1.25, 0.01, 0.01, 0.001),
        c);
    assertEquals(16, c.headDim());
    assertTrue(c.family().isMoe());
  }

  @Test
  void parsesValidTopKConfig() throws Exception {
    ModelConfig c = ModelConfig.parse(TOPK, SOURCE);
    assertEquals(Family.TOPK, c.family());
    assertEquals(8, c.numExperts());
    assertEquals(2, c.topK());
    assertEquals(1.25, c.capacityFactor());
  }

  @Test
  void acceptsIntegralValuesWrittenAsDecimals() throws Exception {
    // 64.0 and 6.4e1 are whole numbers.
    assertEquals(64, ModelConfig.parse(with(DENSE, "d_model", 64.0).toString(), SOURCE).dModel());
    String exp = DENSE.replace("\"d_model\": 64", "\"d_model\": 6.4e1");
    assertEquals(64, ModelConfig.parse(exp, SOURCE).dModel());
  }

  @Test
  void acceptsFieldsInAnyOrder() throws Exception {
    String reordered =
        "{\"norm_eps\":1e-5,\"context_length\":128,\"d_ff\":256,\"n_heads\":4,\"n_layers\":2,"
            + "\"d_model\":64,\"vocab_size\":256,\"family\":\"dense\"}";
    assertEquals(ModelConfig.parse(DENSE, SOURCE), ModelConfig.parse(reordered, SOURCE));
  }

  @Test
  void toMapRoundTripsThroughJsonForEveryFamily() throws Exception {
    for (String text : new String[] {DENSE, SWITCH, TOPK}) {
      ModelConfig c = ModelConfig.parse(text, SOURCE);
      String written = new Gson().toJson(c.toMap());
      assertEquals(c, ModelConfig.parse(written, SOURCE), written);
    }
  }

  @Test
  void readsFromAFileAndErrorsNameThePath(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("config.json");
    Files.writeString(good, TOPK);
    assertEquals(ModelConfig.parse(TOPK, SOURCE), ModelConfig.read(good));

    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, with(DENSE, "d_model", 63).toString());
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.read(bad));
    assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'n_heads'"), e.getMessage());

    Path missing = dir.resolve("absent.json");
    ModelFormatException m =
        assertThrows(ModelFormatException.class, () -> ModelConfig.read(missing));
    assertTrue(m.getMessage().startsWith(missing.toString()), m.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Unknown, missing and misplaced fields

  @Test
  void rejectsUnknownField() {
    assertRejected(with(DENSE, "dropout", 0.1), "unknown field", "dropout", "dense");
    assertRejected(with(TOPK, "n_experts", 8), "unknown field", "n_experts", "topk");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "family",
        "vocab_size",
        "d_model",
        "n_layers",
        "n_heads",
        "d_ff",
        "context_length",
        "norm_eps"
      })
  void rejectsMissingCommonField(String field) {
    assertRejected(without(DENSE, field), "missing field '" + field + "'");
    assertRejected(without(SWITCH, field), "missing field '" + field + "'");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "num_experts",
        "top_k",
        "capacity_factor",
        "router_jitter",
        "aux_loss_weight",
        "z_loss_weight"
      })
  void rejectsMissingMoeField(String field) {
    assertRejected(without(TOPK, field), "missing field '" + field + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"d_model", "top_k", "family"})
  void treatsNullAsMissing(String field) {
    assertRejected(with(TOPK, field, JsonNull.INSTANCE), "'" + field + "'");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "num_experts",
        "top_k",
        "capacity_factor",
        "router_jitter",
        "aux_loss_weight",
        "z_loss_weight"
      })
  void rejectsMoeFieldOnDenseModel(String field) {
    assertRejected(with(DENSE, field, 1), "unknown field", field, "dense");
  }

  // ---------------------------------------------------------------------------------------------
  // Rules between fields

  @Test
  void rejectsDModelNotDivisibleByNHeads() {
    // 64 % 5 = 4: head size would be 12.8
    assertRejected(with(DENSE, "n_heads", 5), "'n_heads'", "= 5", "d_model (64)");
    assertRejected(with(DENSE, "d_model", 66), "'n_heads'", "d_model (66)");
  }

  @Test
  void rejectsTopKGreaterThanNumExperts() {
    assertRejected(with(TOPK, "top_k", 9), "'top_k'", "= 9", "num_experts (8)");
  }

  @Test
  void rejectsSwitchWithTopKTwo() {
    assertRejected(with(SWITCH, "top_k", 2), "'top_k'", "= 2", "switch");
  }

  @ParameterizedTest
  @ValueSource(ints = {255, 257, 0, 50257, -256})
  void rejectsVocabSizeOtherThan256(int vocab) {
    assertRejected(with(DENSE, "vocab_size", vocab), "'vocab_size'", "= " + vocab, "256");
  }

  @ParameterizedTest
  @CsvSource({
    "d_model, 0",
    "d_model, 16385",
    "n_layers, 0",
    "n_layers, 257",
    "n_heads, 0",
    "n_heads, 128", // more heads than d_model = 64
    "d_ff, 0",
    "d_ff, 65537",
    "context_length, 1",
    "context_length, 65537",
    "norm_eps, 0",
    "norm_eps, 1",
    "norm_eps, -1e-5",
    "num_experts, 1",
    "num_experts, 257",
    "top_k, 0",
    "capacity_factor, 0",
    "capacity_factor, 1000.5",
    "router_jitter, -0.1",
    "router_jitter, 1",
    "aux_loss_weight, -0.01",
    "z_loss_weight, -1"
  })
  void rejectsOutOfRangeValueNamingTheField(String field, double value) {
    String base = field.equals("num_experts") || field.equals("top_k") ? TOPK : SWITCH;
    if (field.startsWith("n_") || field.startsWith("d_") || field.startsWith("context")) {
      base = DENSE;
    }
    assertRejected(with(base, field, value), "field '" + field + "'");
  }

  // ---------------------------------------------------------------------------------------------
  // Types

  @ParameterizedTest
  @ValueSource(strings = {"vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "context_length"})
  void rejectsNonIntegerInIntegerField(String field) {
    assertRejected(with(DENSE, field, 12.5), "field '" + field + "'", "integer", "12.5");
  }

  @ParameterizedTest
  @ValueSource(strings = {"num_experts", "top_k"})
  void rejectsNonIntegerInMoeIntegerField(String field) {
    assertRejected(with(TOPK, field, 1.5), "field '" + field + "'", "integer");
  }

  @ParameterizedTest
  @ValueSource(doubles = {3e9, -3e9, 1e300})
  void rejectsIntegerOutsideTheIntRange(double value) {
    assertRejected(with(DENSE, "d_model", value), "field 'd_model'", "integer");
  }

  @Test
  void rejectsIntegerTooLargeForADouble() {
    String text = DENSE.replace("\"d_model\": 64", "\"d_model\": 1e99999");
    assertRejected(text, "field 'd_model'");
  }

  @Test
  void rejectsNumberTooLargeForADouble() {
    String text = SWITCH.replace("\"capacity_factor\": 1.25", "\"capacity_factor\": 1e99999");
    assertRejected(text, "field 'capacity_factor'", "finite");
  }

  @ParameterizedTest
  @ValueSource(strings = {"d_model", "n_layers", "context_length"})
  void rejectsStringWhereIntegerExpected(String field) {
    assertRejected(with(DENSE, field, "64"), "field '" + field + "'", "integer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"norm_eps", "capacity_factor", "router_jitter", "z_loss_weight"})
  void rejectsStringWhereNumberExpected(String field) {
    assertRejected(with(SWITCH, field, "0.5"), "field '" + field + "'", "must be a number");
  }

  @Test
  void rejectsBooleanWhereNumberExpected() {
    assertRejected(with(DENSE, "d_ff", new JsonPrimitive(true)), "field 'd_ff'", "integer");
  }

  @Test
  void rejectsArrayOrObjectWhereScalarExpected() {
    assertRejected(with(DENSE, "d_model", JsonParser.parseString("[64]")), "'d_model'", "scalar");
    assertRejected(with(SWITCH, "norm_eps", new JsonObject()), "'norm_eps'", "scalar");
  }

  // ---------------------------------------------------------------------------------------------
  // Family

  @ParameterizedTest
  @ValueSource(strings = {"moe", "Dense", "DENSE", "top-k", ""})
  void rejectsUnknownFamily(String family) {
    assertRejected(
        with(DENSE, "family", family), "field 'family'", "'" + family + "'", "dense, switch, topk");
  }

  @Test
  void rejectsNonStringFamily() {
    assertRejected(with(DENSE, "family", 1), "field 'family'", "string");
  }

  // ---------------------------------------------------------------------------------------------
  // Not JSON

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{",
        "not json",
        "{\"family\": \"dense\",}", // trailing comma
        "{'family': 'dense'}", // single quotes are not JSON
        "{family: \"dense\"}", // unquoted name
        "{\"norm_eps\": NaN}",
        "// comment\n{}"
      })
  void rejectsInvalidJson(String text) {
    assertRejected(text, "not valid JSON");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "\"dense\"", "42", "null", "", "   "})
  void rejectsJsonThatIsNotAnObject(String text) {
    assertRejected(text, "expected a JSON object");
  }

  @ParameterizedTest
  @ValueSource(strings = {"}", " {\"d_model\": 32}", " garbage", "]"})
  void rejectsTrailingTextAfterTheObject(String trailing) {
    assertRejected(DENSE + trailing, "not valid JSON");
  }

  // ---------------------------------------------------------------------------------------------
  // Constructor

  @Test
  void constructorValidatesAndNamesTheField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.dense(64, 2, 5, 256, 128));
    assertTrue(e.getMessage().contains("'n_heads'"), e.getMessage());
    IllegalArgumentException k =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelConfig.moe(Family.SWITCH, 32, 1, 4, 64, 16, 4, 2, 1.0));
    assertTrue(k.getMessage().contains("'top_k'"), k.getMessage());
    IllegalArgumentException f =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ModelConfig(null, 256, 64, 2, 4, 256, 128, 1e-5, 0, 0, 0, 0, 0, 0));
    assertTrue(f.getMessage().contains("'family'"), f.getMessage());
  }
}
