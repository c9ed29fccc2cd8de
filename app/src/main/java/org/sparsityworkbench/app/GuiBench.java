package org.sparsityworkbench.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javafx.animation.AnimationTimer;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.util.Duration;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import org.sparsityworkbench.viewmodels.MainViewModel;

/**
 * GUI overhead and frame rate, measured in one process: the same decode (model, prompt, seed,
 * length) run on the engine thread with telemetry off and nothing listening, then through the GUI
 * with full telemetry and every view updating. Each is run twice and the second run counts (JIT
 * warm-up). A frame probe counts JavaFX pulses during the GUI decode.
 */
final class GuiBench {
  private GuiBench() {}

  private static DecodeOptions options(MainViewModel vm, int tokens, TelemetryLevel level) {
    return new DecodeOptions(
        tokens,
        new SamplingOptions(vm.temperatureProperty().get(), 0, 1, vm.seedProperty().get()),
        level,
        true);
  }

  static void run(MainViewModel vm, DecodeService service, int tokens, Runnable close) {
    List<Double> baseline = new ArrayList<>();
    long[] frames = new long[3]; // count, last ns, longest gap ns
    AnimationTimer probe =
        new AnimationTimer() {
          @Override
          public void handle(long now) {
            if (frames[1] != 0) {
              frames[2] = Math.max(frames[2], now - frames[1]);
            }
            frames[0]++;
            frames[1] = now;
          }
        };
    int[] phase = {0};
    long[] guiStart = {0};
    long[] updates = {0};
    List<double[]> gui = new ArrayList<>();
    Timeline poll = new Timeline();
    poll.getKeyFrames()
        .add(
            new KeyFrame(
                Duration.millis(50),
                e -> {
                  switch (phase[0]) {
                    case 0 -> {
                      if (vm.canGenerateBinding().get()) {
                        phase[0] = 1;
                        vm.maxTokensProperty().set(tokens);
                        // Headless, alternating: off, full, off, full; the second of each counts.
                        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
                        for (int i = 0; i < 4; i++) {
                          TelemetryLevel level =
                              i % 2 == 0 ? TelemetryLevel.OFF : TelemetryLevel.FULL;
                          boolean counts = i >= 2;
                          chain =
                              chain
                                  .thenCompose(
                                      x ->
                                          service
                                              .decode(
                                                  vm.modelProperty().get(),
                                                  vm.promptProperty().get(),
                                                  options(vm, tokens, level),
                                                  r -> {})
                                              .done())
                                  .thenAccept(
                                      end -> {
                                        if (counts) {
                                          baseline.add(end.tokensPerS());
                                        }
                                      });
                        }
                      }
                    }
                    case 1 -> {
                      if (baseline.size() == 2) {
                        phase[0] = 2;
                        vm.generate(); // warm-up through the GUI
                      }
                    }
                    case 2 -> {
                      if (!vm.runningProperty().get()) {
                        phase[0] = 3;
                        frames[0] = 0;
                        frames[1] = 0;
                        frames[2] = 0;
                        updates[0] = vm.updateCount();
                        probe.start();
                        guiStart[0] = System.nanoTime();
                        vm.generate();
                      }
                    }
                    case 3 -> {
                      if (!vm.runningProperty().get()) {
                        probe.stop();
                        poll.stop();
                        double seconds = (System.nanoTime() - guiStart[0]) / 1e9;
                        double guiTps = vm.tokensPerSecondProperty().get();
                        double base = baseline.getFirst();
                        double full = baseline.get(1);
                        System.out.printf(
                            Locale.ROOT,
                            "tokens %d%nheadless (telemetry off) tokens/s %.1f%n"
                                + "headless (full telemetry, nothing listening) tokens/s %.1f%n"
                                + "GUI (full telemetry, views updating) tokens/s %.1f%n"
                                + "overhead %.1f%% (telemetry alone %.1f%%)%n"
                                + "frames %d in %.2f s = %.1f fps, longest"
                                + " frame gap %.1f ms%n"
                                + "view updates (repaints with new tokens) %d = %.1f per s%n",
                            tokens,
                            base,
                            full,
                            guiTps,
                            100 * (base - guiTps) / base,
                            100 * (base - full) / base,
                            frames[0],
                            seconds,
                            frames[0] / seconds,
                            frames[2] / 1e6,
                            vm.updateCount() - updates[0],
                            (vm.updateCount() - updates[0]) / seconds);
                        close.run();
                      }
                    }
                    default -> {}
                  }
                }));
    poll.setCycleCount(Timeline.INDEFINITE);
    poll.play();
  }
}
