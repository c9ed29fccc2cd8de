package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the Decode tab's colours mean, per family: decided in the view model, not the view. */
@org.junit.jupiter.api.Tag("no-pytorch")
class StreamLegendTest {
  @Test
  void eachFamilySaysWhatItsColoursMean() {
    assertEquals(
        "Colour: the token's top expert in the layer.", ShownModel.streamLegend("switch", true));
    assertEquals(
        "Colour: the token's top expert in the layer.", ShownModel.streamLegend("mixtral", true));
    assertEquals("Dense model: no routing to colour by.", ShownModel.streamLegend("dense", false));
    assertTrue(ShownModel.streamLegend("sparse-ffqkv", true).startsWith("Colour: block 0's"));
    assertTrue(ShownModel.streamLegend("sparse-qkv", false).startsWith("Sparse QKV only"));
    assertTrue(ShownModel.streamLegend("megabyte", false).contains("Patches tab"));
  }
}
