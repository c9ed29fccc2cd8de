package org.sparsityworkbench.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.viewmodels.MainViewModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench long-decode}: the GUI's view model without a display, fed by the engine with full
 * telemetry exactly as in the GUI (refreshed every 30 ms on one thread, which plays the UI thread),
 * for decodes of --tokens until --total tokens have streamed. Prints resident memory, the Java heap
 * after a GC and the attention weights the view model retains, every --every tokens.
 */
@Command(
    name = "long-decode",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description =
        "Memory of long decodes through the view model, headless: resident memory, heap after"
            + " GC and retained attention weights as tokens stream in.")
final class LongDecodeBench implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory.")
  Path model;

  @Option(names = "--tokens", defaultValue = "8000", description = "Tokens per decode.")
  int tokens;

  @Option(names = "--total", defaultValue = "100000", description = "Tokens over all decodes.")
  long total;

  @Option(names = "--every", defaultValue = "2000", description = "Tokens between reports.")
  int every;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (tokens < 1 || total < 1 || every < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--tokens, --total and --every must be positive");
    }
    Cli.checkedModelDir(model);
    PrintWriter out = spec.commandLine().getOut();
    try (DecodeService service = new DecodeService()) {
      MainViewModel vm = new MainViewModel(service, List.of(model));
      await(
          vm, () -> vm.library().modelProperty().get() != null || vm.errorProperty().get() != null);
      if (vm.errorProperty().get() != null) {
        throw new IllegalStateException(vm.errorProperty().get());
      }
      vm.promptProperty().set("The ");
      out.println(
          "decode  tokens(all)  tokens(this)  RSS MB  heap after GC MB  retained attention"
              + " floats  tokens/s");
      long streamed = 0;
      long nextReport = every;
      int decode = 0;
      while (streamed < total) {
        decode++;
        int n = (int) Math.min(tokens, total - streamed);
        vm.maxTokensProperty().set(n);
        vm.generate();
        long before = streamed;
        int d = decode;
        long[] next = {nextReport};
        await(
            vm,
            () -> {
              long all = before + vm.tokenCountProperty().get();
              if (all >= next[0]) {
                report(out, d, all, vm);
                next[0] += every;
              }
              return !vm.runningProperty().get();
            });
        nextReport = next[0];
        streamed += vm.tokenCountProperty().get();
        if (vm.tokenCountProperty().get() == 0) {
          throw new IllegalStateException(
              "the decode produced nothing: " + vm.statusProperty().get());
        }
      }
      report(out, decode, streamed, vm);
      out.printf(
          Locale.ROOT,
          "peak resident memory (VmHWM): %.0f MB; %s%n",
          GuiBench.statusMb("VmHWM"),
          Runtime.version());
    }
    return 0;
  }

  private static void report(PrintWriter out, int decode, long all, MainViewModel vm) {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    out.printf(
        Locale.ROOT,
        "%6d  %11d  %12d  %6.0f  %16.0f  %25d  %8.1f%n",
        decode,
        all,
        vm.tokenCountProperty().get(),
        GuiBench.statusMb("VmRSS"),
        (rt.totalMemory() - rt.freeMemory()) / 1048576.0,
        vm.retainedAttentionFloats(),
        vm.tokensPerSecondProperty().get());
    out.flush();
  }

  private static void await(MainViewModel vm, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    while (true) {
      vm.refresh();
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(30);
    }
  }
}
