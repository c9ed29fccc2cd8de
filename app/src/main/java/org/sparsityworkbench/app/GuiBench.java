package org.sparsityworkbench.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import javafx.animation.AnimationTimer;
import javafx.application.Platform;
import javafx.beans.value.ChangeListener;
import javafx.scene.Scene;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import org.sparsityworkbench.viewmodels.MainViewModel;

/**
 * GUI overhead and frame rate, measured in one process with the baseline and the GUI decodes
 * interleaved, so that drift of the machine (this 2-core virtual machine's speed wanders by 20%
 * between minutes) falls on both alike.
 *
 * <p>After warm-up (headless decodes, then GUI decodes for at least {@link #WARMUP_NANOS}, so the
 * JIT has compiled the views' code), each round runs the same decode (model, prompt, seed, length)
 * three ways: headless with telemetry off and nothing listening, headless with full telemetry, and
 * through the GUI with full telemetry and the views updating, one tab shown. Before each headless
 * decode the window is left quiet until its sampler has gone to sleep, so the baseline runs with no
 * JavaFX frames at all: "no GUI". A frame probe counts pulses during the GUI decodes only, and the
 * CPU time of every thread of the process, and of the X server when there is one, is read around
 * each decode.
 *
 * <p>A driver thread sequences the rounds; everything that touches the window runs on the JavaFX
 * thread through {@link #onFx}, so the driver itself causes no frames.
 */
final class GuiBench {
  private GuiBench() {}

  /** GUI decodes before the measured rounds: at least this long, and at least {@link #WARMUPS}. */
  static final long WARMUP_NANOS = 20_000_000_000L;

  static final int WARMUPS = 1;

  /** The --tab value that shows every view at once (the "All views" grid). */
  static final String ALL_VIEWS = "all";

  /** Quiet time before a headless decode: longer than the sampler's sleep delay. */
  static final long QUIET_MILLIS = 1_500;

  private static DecodeOptions options(MainViewModel vm, int tokens, TelemetryLevel level) {
    return new DecodeOptions(
        tokens,
        new SamplingOptions(vm.temperatureProperty().get(), 0, 1, vm.seedProperty().get()),
        level,
        true);
  }

  /** CPU nanoseconds per thread name of this process (numbered names folded), from /proc. */
  static Map<String, Long> threadCpu() {
    Map<String, Long> out = new HashMap<>();
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (var list = Files.list(tasks)) {
      for (Path task : list.toList()) {
        Stat t = stat(task.resolve("stat"));
        if (t != null) {
          out.merge(t.name(), t.ticks() * TICK_NANOS, Long::sum);
        }
      }
    } catch (java.io.IOException e) {
      out.clear();
    }
    return out;
  }

  private static final long TICK_NANOS = 10_000_000L; // USER_HZ 100

  /** A thread's or process's name (numbered names folded) and CPU (utime + stime, in ticks). */
  private record Stat(String name, long ticks) {}

  /** One read of a /proc stat file, or null when the thread or process is gone. */
  private static Stat stat(Path file) {
    try {
      String s = Files.readString(file);
      int close = s.lastIndexOf(')');
      String[] f = s.substring(close + 2).split(" ");
      return new Stat(
          s.substring(s.indexOf('(') + 1, close).replaceAll("[#-]?\\d+$", ""),
          Long.parseLong(f[11]) + Long.parseLong(f[12]));
    } catch (java.io.IOException | RuntimeException gone) {
      return null;
    }
  }

  /** The X server's process (Xvfb or Xorg), whose CPU the window's frames also cost, or null. */
  private static Path xServer() {
    try (var list = Files.list(Path.of("/proc"))) {
      for (Path p : list.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String comm = Files.readString(p.resolve("comm")).strip();
          if (comm.equals("Xvfb") || comm.equals("Xorg")) {
            return p.resolve("stat");
          }
        } catch (java.io.IOException | RuntimeException gone) {
          // not ours to read, or gone
        }
      }
    } catch (java.io.IOException e) {
      return null;
    }
    return null;
  }

  /** Runs {@code task} on the JavaFX thread and waits for its result. */
  private static <T> T onFx(Callable<T> task) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    Platform.runLater(
        () -> {
          try {
            f.complete(task.call());
          } catch (Throwable t) {
            f.completeExceptionally(t);
          }
        });
    return f.get();
  }

  /** CPU use around one decode: cores of the engine thread, of the rest, of the X server. */
  private record Cpu(double engine, double rest, double x, Map<String, Double> threads) {}

  private static final class CpuMeter {
    private final Path x = xServer();
    private Map<String, Long> threads;
    private long xTicks;
    private long t0;

    void start() {
      threads = threadCpu();
      xTicks = x == null ? 0 : ticks(x);
      t0 = System.nanoTime();
    }

    Cpu stop() {
      double s = (System.nanoTime() - t0) / 1e9;
      Map<String, Double> cores = new HashMap<>();
      threadCpu().forEach((k, v) -> cores.put(k, (v - threads.getOrDefault(k, 0L)) / 1e9 / s));
      double engine = cores.getOrDefault("engine", 0.0);
      double all = cores.values().stream().mapToDouble(Double::doubleValue).sum();
      double xCores = x == null ? Double.NaN : (ticks(x) - xTicks) * TICK_NANOS / 1e9 / s;
      return new Cpu(engine, all - engine, xCores, cores);
    }

    private static long ticks(Path stat) {
      Stat s = stat(stat);
      return s == null ? 0 : s.ticks();
    }
  }

  /** Frames of JavaFX, counted only while started (a running probe asks for 60 Hz pulses). */
  private static final class FrameProbe extends AnimationTimer {
    long frames;
    long last;
    long longestGap;

    @Override
    public void handle(long now) {
      if (last != 0) {
        longestGap = Math.max(longestGap, now - last);
      }
      frames++;
      last = now;
    }

    @Override
    public void stop() {
      super.stop();
      last = 0;
    }
  }

  private record Round(
      double base,
      double full,
      double gui,
      double seconds,
      long frames,
      long updates,
      Cpu cpu,
      Cpu baseCpu,
      double longestGapMs,
      double rssMb) {}

  /**
   * A memory figure of this process from /proc/self/status in MB ("VmRSS": resident now, "VmHWM":
   * the peak), NaN where unreadable.
   */
  static double statusMb(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // not Linux: no figure
    }
    return Double.NaN;
  }

  static void run(
      MainViewModel vm,
      DecodeService service,
      int tokens,
      int rounds,
      Scene scene,
      String tab,
      Runnable close) {
    Thread driver =
        new Thread(
            () -> {
              try {
                drive(vm, service, tokens, rounds, scene, tab);
              } catch (Throwable t) {
                StringBuilder why = new StringBuilder();
                for (Throwable c = t; c != null; c = c.getCause()) {
                  why.append(why.isEmpty() ? "" : ": ").append(c);
                }
                System.err.println("error: bench-gui failed: " + why);
              } finally {
                Platform.runLater(close);
              }
            },
            "bench-driver");
    driver.setDaemon(true);
    driver.start();
  }

  private static void drive(
      MainViewModel vm, DecodeService service, int tokens, int rounds, Scene scene, String tab)
      throws Exception {
    String shown =
        onFx(
            () -> {
              TabPane tabs = (TabPane) scene.lookup("#tabs");
              if (tab != null && tab.equalsIgnoreCase(ALL_VIEWS)) {
                ((javafx.scene.control.ToggleButton) scene.lookup("#all-views")).setSelected(true);
                return ALL_VIEWS + " (every view but Model, in one grid)";
              }
              if (tab != null) {
                Tab chosen =
                    tabs.getTabs().stream()
                        .filter(t -> t.getText().equalsIgnoreCase(tab))
                        .findFirst()
                        .orElseThrow(
                            () ->
                                new IllegalArgumentException(
                                    "no tab '"
                                        + tab
                                        + "'; tabs: "
                                        + tabs.getTabs().stream().map(Tab::getText).toList()));
                tabs.getSelectionModel().select(chosen);
              }
              return tabs.getSelectionModel().getSelectedItem().getText();
            });
    long waited = System.nanoTime();
    while (!onFx(() -> vm.canGenerateBinding().get())) {
      if (System.nanoTime() - waited > 120_000_000_000L) {
        throw new IllegalStateException("no model loaded after 2 minutes");
      }
      Thread.sleep(100);
    }
    onFx(
        () -> {
          vm.maxTokensProperty().set(tokens);
          return null;
        });
    headless(vm, service, tokens, TelemetryLevel.OFF);
    headless(vm, service, tokens, TelemetryLevel.FULL);
    long warm = System.nanoTime();
    int warmups = 0;
    while (warmups < WARMUPS || System.nanoTime() - warm < WARMUP_NANOS) {
      gui(vm); // the views' code runs ~33 times a second: the JIT needs many seconds for it
      warmups++;
    }
    System.out.printf(
        Locale.ROOT,
        "tokens %d, tab shown: %s, %d GUI warm-up decodes in %.1f s, then %d rounds%n"
            + "round  headless-off  headless-full  GUI    overhead  telemetry  fps   updates/s"
            + "  cores: engine  rest  X server | rest during headless | gap ms  RSS MB%n",
        tokens,
        shown,
        warmups,
        (System.nanoTime() - warm) / 1e9,
        rounds);
    FrameProbe probe = new FrameProbe();
    CpuMeter meter = new CpuMeter();
    List<Round> done = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      Thread.sleep(QUIET_MILLIS); // the sampler goes to sleep: no frames during the baseline
      meter.start();
      double base = headless(vm, service, tokens, TelemetryLevel.OFF);
      Cpu baseCpu = meter.stop();
      double full = headless(vm, service, tokens, TelemetryLevel.FULL);
      long updates0 = onFx(vm::updateCount);
      onFx(
          () -> {
            probe.frames = 0;
            probe.longestGap = 0;
            probe.start();
            return null;
          });
      meter.start();
      long t0 = System.nanoTime();
      double gui = gui(vm);
      double seconds = (System.nanoTime() - t0) / 1e9;
      Cpu cpu = meter.stop();
      onFx(
          () -> {
            probe.stop();
            return null;
          });
      long updates = onFx(vm::updateCount) - updates0;
      double rss = statusMb("VmRSS"); // with the GUI decode's views still on screen
      Round round =
          new Round(
              base,
              full,
              gui,
              seconds,
              probe.frames,
              updates,
              cpu,
              baseCpu,
              probe.longestGap / 1e6,
              rss);
      done.add(round);
      System.out.printf(
          Locale.ROOT,
          "%5d  %12.1f  %13.1f  %5.1f  %7.1f%%  %8.1f%%  %4.1f  %9.1f  %13.2f  %4.2f  %8.2f | %.2f"
              + " | %6.1f  %6.0f%n",
          r + 1,
          base,
          full,
          gui,
          100 * (1 - gui / base),
          100 * (1 - full / base),
          round.frames / seconds,
          updates / seconds,
          cpu.engine(),
          cpu.rest(),
          cpu.x(),
          baseCpu.rest(),
          round.longestGapMs(),
          rss);
    }
    double[] overheads = done.stream().mapToDouble(d -> 1 - d.gui() / d.base()).sorted().toArray();
    double[] telemetry = done.stream().mapToDouble(d -> 1 - d.full() / d.base()).sorted().toArray();
    double baseMean = done.stream().mapToDouble(Round::base).average().orElse(0);
    double guiMean = done.stream().mapToDouble(Round::gui).average().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "overhead: median %.1f%% (min %.1f%%, max %.1f%%); of the means %.1f%% (%.1f vs %.1f"
            + " tokens/s); telemetry alone: median %.1f%%%n"
            + "frames: min %.1f fps, longest gap %.1f ms; view updates: min %.1f per s%n"
            + "resident memory after the GUI decodes: median %.0f MB, max %.0f MB; peak of the"
            + " process (VmHWM) %.0f MB%n",
        100 * median(overheads),
        100 * overheads[0],
        100 * overheads[overheads.length - 1],
        100 * (1 - guiMean / baseMean),
        guiMean,
        baseMean,
        100 * median(telemetry),
        done.stream().mapToDouble(d -> d.frames() / d.seconds()).min().orElse(0),
        done.stream().mapToDouble(Round::longestGapMs).max().orElse(0),
        done.stream().mapToDouble(d -> d.updates() / d.seconds()).min().orElse(0),
        median(done.stream().mapToDouble(Round::rssMb).sorted().toArray()),
        done.stream().mapToDouble(Round::rssMb).max().orElse(0),
        statusMb("VmHWM"));
    Map<String, Double> threads = new HashMap<>();
    for (Round d : done) {
      d.cpu().threads().forEach((k, v) -> threads.merge(k, v / done.size(), Double::sum));
    }
    System.out.println("CPU per thread during the GUI decodes (mean of the rounds, in cores):");
    threads.entrySet().stream()
        .sorted(Map.Entry.comparingByValue(java.util.Comparator.reverseOrder()))
        .limit(8)
        .forEach(e -> System.out.printf(Locale.ROOT, "  %-28s %.2f%n", e.getKey(), e.getValue()));
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** One decode on the engine thread, nothing listening; its tokens per second of wall time. */
  private static double headless(
      MainViewModel vm, DecodeService service, int tokens, TelemetryLevel level) throws Exception {
    var model = onFx(() -> vm.library().modelProperty().get());
    String prompt = onFx(() -> vm.promptProperty().get());
    DecodeOptions options = onFx(() -> options(vm, tokens, level));
    return vm.engine().decode(model, prompt, options, r -> {}, false).done().get().wallTokensPerS();
  }

  /** One decode through the GUI (Generate); its tokens per second of wall time. */
  private static double gui(MainViewModel vm) throws Exception {
    CompletableFuture<Double> ended = new CompletableFuture<>();
    onFx(
        () -> {
          ChangeListener<Boolean> l =
              new ChangeListener<>() {
                @Override
                public void changed(
                    javafx.beans.value.ObservableValue<? extends Boolean> o,
                    Boolean was,
                    Boolean running) {
                  if (!running) {
                    o.removeListener(this);
                    ended.complete(vm.lastWallTokensPerSecond());
                  }
                }
              };
          vm.runningProperty().addListener(l);
          vm.generate();
          if (!vm.runningProperty().get()) {
            vm.runningProperty().removeListener(l);
            ended.completeExceptionally(
                new IllegalStateException("Generate did not start: " + vm.statusProperty().get()));
          }
          return null;
        });
    return ended.get();
  }
}
