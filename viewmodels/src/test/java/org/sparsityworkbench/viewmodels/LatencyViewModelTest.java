package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import javafx.beans.property.SimpleStringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sparsityworkbench.engine.telemetry.Records;

/** The latency statistics from hand-made records: no engine, no JavaFX toolkit. */
@Tag("no-pytorch")
class LatencyViewModelTest {
  final ObservableList<TokenSnapshot> window = FXCollections.observableArrayList();
  final SimpleStringProperty cost = new SimpleStringProperty("1 FLOP");
  final LatencyViewModel vm = new LatencyViewModel(window, cost);

  /** A token of a 2-layer model: attention a, router 1, feed-forward f per layer. */
  static TokenSnapshot token(int step, double latencyUs, double a, double f) {
    List<Records.TokenLayer> layers = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      layers.add(
          new Records.TokenLayer(
              l,
              null,
              new Records.TokenRouter(null, new int[] {0}, new float[] {1}, 0),
              null,
              null,
              new Records.Timing(a, 1.0, f, null)));
    }
    return TokenSnapshot.of(
        new Records.Token(step, 3 + step, 'a', "a", List.of(), latencyUs, layers));
  }

  @Test
  void idleItSaysTheModelsCostOnly() {
    assertEquals("1 FLOP", vm.summaryProperty().get());
    assertNull(vm.components());
    cost.set("2 FLOPs");
    assertEquals("2 FLOPs", vm.summaryProperty().get(), "a model change is said at once");
  }

  @Test
  void theSummaryAndTheRunningMeanFollowTheWindow() {
    window.setAll(token(0, 1000, 100, 200), token(1, 3000, 100, 200));
    assertEquals(
        "2 tokens · mean 2.00 ms/token (500 tokens/s) · last 3.00 ms · 1 FLOP",
        vm.summaryProperty().get());
    assertEquals(1000, vm.runningMeanUs(0), 1e-9, "starts at the first token's time");
    assertEquals(0.9 * 1000 + 0.1 * 3000, vm.runningMeanUs(1), 1e-9);
    assertEquals(3000, vm.maxLatencyUs(), 1e-9);
    assertEquals("token 1 'a' (position 4): 3.00 ms · running mean 1.20 ms", vm.readout(1));
    window.clear();
    assertEquals("1 FLOP", vm.summaryProperty().get(), "another decode starts empty");
  }

  @Test
  void componentsAreMeansOverTheLast64TokensAndTheRestIsTheStepLessThem() {
    for (int i = 0; i < 70; i++) {
      // The first 6 fall out of the last 64: they would pull the means up.
      window.add(i < 6 ? token(i, 9000, 4000, 4000) : token(i, 1000, 100, 200));
    }
    LatencyViewModel.Components c = vm.components();
    assertEquals(64, c.tokens());
    assertEquals(200, c.meanUs()[0], 1e-9, "attention summed over 2 layers");
    assertEquals(2, c.meanUs()[1], 1e-9, "router");
    assertEquals(400, c.meanUs()[2], 1e-9, "feed-forward");
    assertEquals(1000, c.stepUs(), 1e-9);
    assertEquals(1000 - 602, c.otherUs(), 1e-9);
    assertEquals(0.4, c.share(2), 1e-12);
    assertEquals(
        "feed-forward: 400 µs of a 1000 µs step (40%), mean of the last 64 tokens",
        vm.componentReadout(2));
    assertEquals("other", LatencyViewModel.componentName(TokenSnapshot.COMPONENTS.size()));
  }
}
