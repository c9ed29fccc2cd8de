package org.sparsityworkbench.engine.intervention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.model.NativeFamilies;
import org.sparsityworkbench.engine.model.Router;
import org.sparsityworkbench.engine.spec.ModelSpec;

/** Interventions read, checked and resolved per layer, and the router under them (pure Java). */
class InterventionsTest {
  static final ModelSpec TOPK =
      NativeFamilies.spec(ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 32, 4, 2, 1.25));
  static final ModelSpec DENSE = NativeFamilies.spec(ModelConfig.dense(32, 2, 4, 64, 32));

  static Interventions of(ModelSpec spec, String... kindValue) {
    List<Intervention> list = new java.util.ArrayList<>();
    for (int i = 0; i < kindValue.length; i += 2) {
      list.add(Interventions.parse(kindValue[i], kindValue[i + 1]));
    }
    return Interventions.of(list, spec);
  }

  @ParameterizedTest
  @CsvSource({
    "ban, 1:3, ban 1:3",
    "ban, *:0, ban *:0",
    "force, 0:2, force 0:2",
    "top-k, *:3, top-k *:3",
    "router-temperature, 1:0.5, router-temperature 1:0.5",
    "router-temperature, 1:2, router-temperature 1:2",
    "capacity, *:off, capacity *:off",
    "capacity, 0:1.5, capacity 0:1.5",
    "shared-expert-off, *, shared-expert-off *",
    "head-off, 1:2, head-off 1:2"
  })
  void theCommandLineFormReadsBackAsItself(String kind, String value, String described) {
    Intervention i = Interventions.parse(kind, value);
    assertEquals(described, i.describe());
    String[] parts = described.split(" ", 2);
    assertEquals(i, Interventions.parse(parts[0], parts[1]));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ban | 1 | ban 1: expected LAYER:VALUE (LAYER a number or *)",
        "ban | x:1 | ban x:1: the layer 'x' is not a number or *",
        "ban | 1:two | ban 1:two: 'two' is not a number",
        "swap | 1:2 | swap 1:2: unknown intervention 'swap'"
      })
  void aMalformedOneSaysWhatIsWrong(String kind, String value, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Interventions.parse(kind, value));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ban 0:4 | ban 0:4: layer 0 has experts 0..3",
        "ban 2:1 | ban 2:1: the model has layers 0..1 (or * for every layer)",
        "ban *:0 ban *:1 ban *:2 ban *:3 | layer 0: every one of its 4 experts is banned",
        "force 0:0 force 0:1 force 0:2 | layer 0: 3 forced experts but the router chooses 2",
        "ban 1:2 force 1:2 | layer 1: expert 2 is both banned and forced",
        "ban 0:0 ban 0:1 ban 0:2 | layer 0: top-2 but only 1 of its experts are not banned",
        "top-k 0:5 | layer 0: top-5 but only 4 of its experts are not banned",
        "top-k 0:0 | top-k 0:0: k must be at least 1",
        "router-temperature 0:0 | router-temperature 0:0: the temperature must be in (0, 1e6]",
        "capacity 0:-1 | capacity 0:-1: the capacity factor must be in [0, 1000] (0: off)",
        "head-off 0:4 | head-off 0:4: layer 0 has heads 0..3",
        "shared-expert-off 0 | shared-expert-off 0: layer 0 has no shared expert",
        "shared-expert-off * | shared-expert-off *: no layer of topk has a shared expert"
      })
  void onesThatDoNotFitTheModelAreRefusedByName(String given, String message) {
    String[] w = given.trim().split(" ");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> of(TOPK, w));
    assertEquals(message, e.getMessage());
  }

  @Test
  void aRoutingChangeOnADenseModelIsRefusedAndAHeadOffIsNot() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> of(DENSE, "ban", "*:1"));
    assertEquals("ban *:1: no layer of dense routes tokens to experts", e.getMessage());
    Interventions h = of(DENSE, "head-off", "1:0");
    assertNull(h.at(0));
    assertArrayEquals(new boolean[] {true, false, false, false}, h.at(1).headsOff());
  }

  @Test
  void everyLayerOrOneResolvesPerLayer() {
    Interventions i =
        of(TOPK, "ban", "*:1", "force", "1:3", "top-k", "1:3", "router-temperature", "0:2");
    assertArrayEquals(new boolean[] {false, true, false, false}, i.at(0).banned());
    assertArrayEquals(new int[0], i.at(0).forced());
    assertEquals(2, i.at(0).topK());
    assertEquals(2.0, i.at(0).temperature());
    assertArrayEquals(new int[] {3}, i.at(1).forced());
    assertEquals(3, i.at(1).topK());
    assertEquals(1.0, i.at(1).temperature());
    assertEquals(
        List.of("ban *:1", "force 1:3", "top-k 1:3", "router-temperature 0:2"), i.describe());
    assertSame(Interventions.NONE, Interventions.of(List.of(), TOPK));
  }

  @Test
  void theRouterNeverChoosesABannedExpertAndAlwaysAForcedOne() {
    // Two tokens, four experts; expert 2 is every token's favourite.
    float[] p = {0.1f, 0.2f, 0.6f, 0.1f, 0.3f, 0.0f, 0.5f, 0.2f};
    boolean[] banned = {false, false, true, false};
    Router.Routing r =
        Router.route(p, null, 2, 4, 2, true, Integer.MAX_VALUE, banned, new int[] {3});
    assertArrayEquals(new int[] {3, 1}, r.experts()[0], "forced first, then the best not banned");
    assertArrayEquals(new int[] {3, 0}, r.experts()[1]);
    assertEquals(0.1f / 0.3f, r.gates()[0][0], 1e-6, "top-k: the share of the chosen");
    for (float[] g : r.gates()) {
      assertEquals(1.0, g[0] + g[1], 1e-6, "the renormalised gates still sum to 1");
    }
    Router.Routing s =
        Router.route(p, null, 2, 4, 1, false, Integer.MAX_VALUE, null, new int[] {0});
    assertEquals(0.1f, s.gates()[0][0], 1e-7, "Switch: the forced expert's own probability");
    // A banned expert with probability 0 is not chosen even where every other is 0 too.
    float[] zeros = {0f, 0f, 1f, 0f};
    Router.Routing z =
        Router.route(
            zeros,
            null,
            1,
            4,
            2,
            true,
            Integer.MAX_VALUE,
            new boolean[] {true, false, true, false},
            null);
    assertArrayEquals(new int[] {1, 3}, z.experts()[0]);
    assertArrayEquals(new float[] {0.5f, 0.5f}, z.gates()[0], "no 0 / 0: an even split");
  }

  @Test
  void anExampleOfEachKindFitsTheModelOrIsAbsentWhereNothingChanges() {
    ModelSpec switch1 =
        NativeFamilies.spec(ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 32, 4, 1, 1.25));
    ModelSpec sparse =
        NativeFamilies.spec(ModelConfig.sparse(Family.SPARSE_FFQKV, 32, 2, 4, 64, 32, 8, 8, 4, 3));
    assertEquals("1:2", Interventions.example("top-k", switch1, 1), "k one more than top-1");
    assertEquals("0:1", Interventions.example("top-k", TOPK, 0), "k one for top-2");
    assertEquals("1:0", Interventions.example("ban", TOPK, 1));
    assertEquals("0:off", Interventions.example("capacity", TOPK, 0));
    assertEquals("1:2", Interventions.example("router-temperature", TOPK, 1));
    assertEquals("0:0", Interventions.example("head-off", DENSE, 0));
    assertEquals("1:0:0", Interventions.example("force-unit", sparse, 1));
    assertEquals("*:0", Interventions.example("head-off", DENSE, -1), "no layer: every layer");
    for (String kind : List.of("ban", "force", "top-k", "router-temperature", "capacity")) {
      assertNull(Interventions.example(kind, DENSE, 0), kind + " on a dense model");
    }
    assertNull(Interventions.example("shared-expert-off", TOPK, 0), "no shared expert");
    assertNull(Interventions.example("block-off", TOPK, 0));
    assertNull(Interventions.example("module-off", TOPK, 0));
    assertEquals("0:0", Interventions.example("module-off", sparse, 0));
    for (String kind : Intervention.KINDS) {
      for (ModelSpec spec : List.of(switch1, TOPK, DENSE, sparse)) {
        String v = Interventions.example(kind, spec, 0);
        if (v != null) {
          Interventions.of(List.of(Interventions.parse(kind, v)), spec); // fits: no exception
        }
      }
    }
  }
}
