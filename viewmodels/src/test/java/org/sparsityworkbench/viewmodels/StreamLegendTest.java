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
        "Colour: the token's top expert in the layer.", MainViewModel.streamLegend("switch", true));
    assertEquals(
        "Colour: the token's top expert in the layer.",
        MainViewModel.streamLegend("mixtral", true));
    assertEquals(
        "Dense model: no routing to colour by.", MainViewModel.streamLegend("dense", false));
    assertTrue(MainViewModel.streamLegend("sparse-ffqkv", true).startsWith("Colour: block 0's"));
    assertTrue(MainViewModel.streamLegend("sparse-qkv", false).startsWith("Sparse QKV only"));
    assertTrue(MainViewModel.streamLegend("megabyte", false).contains("Patches tab"));
  }
}
