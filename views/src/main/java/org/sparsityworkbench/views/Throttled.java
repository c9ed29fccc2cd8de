package org.sparsityworkbench.views;

import javafx.animation.PauseTransition;
import javafx.beans.value.ObservableValue;
import javafx.scene.control.Labeled;
import javafx.util.Duration;

/**
 * A label's text that follows a value at most a few times a second: text that changes with every
 * token (counts, the latest routing) costs a text layout per frame, for figures nobody reads at 30
 * Hz. A change shows at once when the last one is older than the period, otherwise at the end of
 * it, so the label always ends on the latest value; and at once when {@code flush} turns false (a
 * decode ended).
 */
final class Throttled {
  private Throttled() {}

  /** Keeps {@code label}'s text to {@code text}, at most once per {@code periodMs}. */
  static void text(
      Labeled label, ObservableValue<String> text, ObservableValue<Boolean> flush, long periodMs) {
    long[] shown = {Long.MIN_VALUE / 2};
    boolean[] queued = {false};
    PauseTransition later = new PauseTransition(Duration.millis(periodMs));
    Runnable show =
        () -> {
          later.stop();
          queued[0] = false;
          shown[0] = System.nanoTime();
          label.setText(text.getValue());
        };
    later.setOnFinished(e -> show.run());
    label.setText(text.getValue());
    text.subscribe(
        v -> {
          long since = System.nanoTime() - shown[0];
          if (!flush.getValue() || since >= periodMs * 1_000_000L) {
            // After the current event: values that change together (a count and a rate) show
            // together, never one new beside one old.
            if (!queued[0]) {
              queued[0] = true;
              javafx.application.Platform.runLater(show);
            }
          } else if (later.getStatus() != javafx.animation.Animation.Status.RUNNING) {
            later.setDuration(Duration.millis(Math.max(1, periodMs - since / 1_000_000L)));
            later.playFromStart();
          }
        });
    flush.subscribe(
        on -> {
          if (!on) {
            show.run();
          }
        });
  }
}
