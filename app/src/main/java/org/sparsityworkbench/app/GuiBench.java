package org.sparsityworkbench.app;

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
 * with full telemetry and the views updating, one tab shown. The headless runs alternate telemetry
 * off and full, twice each, and the second of each counts; the GUI decode counts after {@link
 * #GUI_WARMUPS} warm-up decodes (JIT). A frame probe counts JavaFX pulses, the view model counts
 * view updates, and the CPU time of the process and of its threads is read before and after.
 */
final class GuiBench {
  private GuiBench() {}

  /** GUI decodes before the measured ones, for the JIT: at least this many... */
  static final int GUI_WARMUPS = 3;

  /** ...and at least this long. */
  static final long GUI_WARMUP_NANOS = 20_000_000_000L;

  /** GUI decodes measured, one after the other (their tokens/s is total tokens / total time). */
  static final int GUI_MEASURED = 3;

  private static DecodeOptions options(MainViewModel vm, int tokens, TelemetryLevel level) {
    return new DecodeOptions(
        tokens,
        new SamplingOptions(vm.temperatureProperty().get(), 0, 1, vm.seedProperty().get()),
        level,
        true);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * CPU time of every thread of the process by name (threads of one name summed, numbered names
   * like "GC Thread#1" folded into "GC Thread"). On Linux from /proc, which also lists the JVM's
   * own threads (JIT compilers, GC) and native ones (GTK, Mesa); elsewhere the Java threads only.
   */
  private static java.util.Map<String, Long> threadCpu() {
    java.util.Map<String, Long> out = new java.util.HashMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc/self/task");
    if (java.nio.file.Files.isDirectory(tasks)) {
      try (var list = java.nio.file.Files.list(tasks)) {
        long tick = 10_000_000L; // USER_HZ 100: clock ticks of 10 ms
        for (java.nio.file.Path task : list.toList()) {
          try {
            String stat = java.nio.file.Files.readString(task.resolve("stat"));
            int close = stat.lastIndexOf(')');
            String name = stat.substring(stat.indexOf('(') + 1, close).replaceAll("[#-]?\\d+$", "");
            String[] f = stat.substring(close + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
            out.merge(name, ticks * tick, Long::sum);
          } catch (java.io.IOException | RuntimeException gone) {
            // the thread ended while we read
          }
        }
        return out;
      } catch (java.io.IOException e) {
        out.clear();
      }
    }
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null) {
        out.merge(
            info.getThreadName(),
            Math.max(0, threads.getThreadCpuTime(info.getThreadId())),
            Long::sum);
      }
    }
    return out;
  }

  static void run(
      MainViewModel vm,
      DecodeService service,
      int tokens,
      javafx.scene.Scene scene,
      String tab,
      Runnable close) {
    if (tab != null) {
      javafx.scene.control.TabPane tabs = (javafx.scene.control.TabPane) scene.lookup("#tabs");
      javafx.scene.control.Tab chosen =
          tabs.getTabs().stream()
              .filter(t -> t.getText().equalsIgnoreCase(tab))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "no tab '"
                              + tab
                              + "'; tabs: "
                              + tabs.getTabs().stream().map(t -> t.getText()).toList()));
      tabs.getSelectionModel().select(chosen);
    }
    // Written on the engine thread, read on the UI thread.
    List<Double> baseline = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicReference<Throwable> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
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
    long[] cpu = {0}; // process CPU at the start of the measured decodes
    int[] warmups = {0};
    long[] warmStart = {0};
    int[] measured = {0};
    long[] measuredTokens = {0};
    double[] measuredSeconds = {0};
    java.util.Map<String, Long> perThread = new java.util.HashMap<>();
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
                        chain.exceptionally(
                            ex -> {
                              failed.set(ex);
                              return null;
                            });
                      }
                    }
                    case 1 -> {
                      if (failed.get() != null) {
                        System.err.println(
                            "error: the headless decode failed: " + failed.get().getMessage());
                        poll.stop();
                        close.run();
                      } else if (baseline.size() == 2) {
                        phase[0] = 2;
                        vm.generate(); // warm-up through the GUI
                      }
                    }
                    case 2 -> {
                      if (warmStart[0] == 0) {
                        warmStart[0] = System.nanoTime();
                      }
                      if (vm.runningProperty().get()) {
                        return;
                      }
                      warmups[0]++; // a warm-up decode ended
                      if (warmups[0] < GUI_WARMUPS
                          || System.nanoTime() - warmStart[0] < GUI_WARMUP_NANOS) {
                        // More warm-up: UI code runs ~33 times a second, so the JIT needs many
                        // seconds to compile it (it did ~300 compilations per second after 6 s).
                        vm.generate();
                      } else {
                        phase[0] = 3;
                        frames[0] = 0;
                        frames[1] = 0;
                        frames[2] = 0;
                        updates[0] = vm.updateCount();
                        cpu[0] = processCpuNanos();
                        perThread.clear();
                        perThread.putAll(threadCpu());
                        probe.start();
                        guiStart[0] = System.nanoTime();
                        vm.generate();
                      }
                    }
                    case 3 -> {
                      if (!vm.runningProperty().get() && vm.tokensPerSecondProperty().get() > 0) {
                        measured[0]++;
                        measuredTokens[0] += vm.tokenCountProperty().get();
                        measuredSeconds[0] +=
                            vm.tokenCountProperty().get() / vm.tokensPerSecondProperty().get();
                      }
                      if (!vm.runningProperty().get() && measured[0] < GUI_MEASURED) {
                        vm.generate();
                      } else if (!vm.runningProperty().get()) {
                        probe.stop();
                        poll.stop();
                        double seconds = (System.nanoTime() - guiStart[0]) / 1e9;
                        java.util.Map<String, Long> after = threadCpu();
                        double engineCores =
                            (after.getOrDefault("engine", 0L)
                                    - perThread.getOrDefault("engine", 0L))
                                / 1e9
                                / seconds;
                        double otherCores =
                            (processCpuNanos() - cpu[0]) / 1e9 / seconds - engineCores;
                        double guiTps = measuredTokens[0] / measuredSeconds[0];
                        double base = baseline.getFirst();
                        double full = baseline.get(1);
                        System.out.printf(
                            Locale.ROOT,
                            "tokens %d (GUI: %d decodes after %d warm-up), tab shown: %s%n"
                                + "headless (telemetry off) tokens/s %.1f%n"
                                + "headless (full telemetry, nothing listening) tokens/s %.1f%n"
                                + "GUI (full telemetry, views updating) tokens/s %.1f%n"
                                + "overhead %.1f%% (telemetry alone %.1f%%)%n"
                                + "frames %d in %.2f s = %.1f fps, longest"
                                + " frame gap %.1f ms%n"
                                + "view updates (repaints with new tokens) %d = %.1f per s%n"
                                + "CPU during the GUI decode: engine thread %.2f cores, the rest"
                                + " of the process (UI, renderer, JIT, GC) %.2f cores%n",
                            tokens,
                            GUI_MEASURED,
                            warmups[0],
                            ((javafx.scene.control.TabPane) scene.lookup("#tabs"))
                                .getSelectionModel()
                                .getSelectedItem()
                                .getText(),
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
                            (vm.updateCount() - updates[0]) / seconds,
                            engineCores,
                            otherCores);
                        after.entrySet().stream()
                            .map(
                                en ->
                                    java.util.Map.entry(
                                        en.getKey(),
                                        en.getValue() - perThread.getOrDefault(en.getKey(), 0L)))
                            .sorted(
                                java.util.Map.Entry.comparingByValue(
                                    java.util.Comparator.reverseOrder()))
                            .limit(8)
                            .forEach(
                                en ->
                                    System.out.printf(
                                        Locale.ROOT,
                                        "  thread %-30s %.2f cores%n",
                                        en.getKey(),
                                        en.getValue() / 1e9 / seconds));
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
