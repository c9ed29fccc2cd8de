package org.sparsityworkbench.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The subcommands that open the GUI: {@code screenshot} and {@code bench-gui}. They parse like
 * every other subcommand (help, usage errors with exit 2), then hand their settings to {@link
 * WorkbenchApp} as system properties and launch it.
 */
final class GuiCommands {
  private GuiCommands() {}

  @Command(
      name = "screenshot",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description =
          "Decode once in the GUI and write DIR/main.png, one PNG per tab and all-views.png.")
  static final class Screenshot implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Folder for the PNG files.")
    Path out;

    @Option(
        names = "--model",
        description = "Name of the model folder (in sample-models/) to decode with.")
    String model;

    @Override
    public Integer call() {
      if (model != null) {
        System.setProperty(WorkbenchApp.FIRST_MODEL_PROPERTY, model);
      }
      System.setProperty(WorkbenchApp.SCREENSHOT_PROPERTY, out.toString());
      WorkbenchApp.useHeadlessPlatform(); // the same pictures with or without a display
      WorkbenchApp.launchGui(new String[0]);
      return 0;
    }
  }

  @Command(
      name = "bench-gui",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description =
          "GUI overhead against headless decodes (interleaved rounds), frames and repaints per"
              + " second, resident memory.")
  static final class BenchGui implements Callable<Integer> {
    @Option(names = "--tokens", required = true, description = "Tokens per decode (1..9999999).")
    int tokens;

    @Option(
        names = "--tab",
        description = "The tab shown during the GUI decodes, or \"all\" for the All views grid.")
    String tab;

    @Option(names = "--rounds", defaultValue = "5", description = "Interleaved rounds (1..99).")
    int rounds;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if (tokens < 1 || tokens > 9_999_999) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--tokens = " + tokens + ": must be in 1..9999999");
      }
      if (rounds < 1 || rounds > 99) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--rounds = " + rounds + ": must be in 1..99");
      }
      System.setProperty(WorkbenchApp.BENCH_PROPERTY, Integer.toString(tokens));
      System.setProperty(WorkbenchApp.BENCH_ROUNDS_PROPERTY, Integer.toString(rounds));
      if (tab != null) {
        System.setProperty(WorkbenchApp.BENCH_TAB_PROPERTY, tab);
      }
      WorkbenchApp.launchGui(new String[0]);
      return 0;
    }
  }
}
