package org.sparsityworkbench.app;

/** Entry point: the GUI with no arguments, the command line with a subcommand. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length == 0) {
      WorkbenchApp.launchGui(args);
      return;
    }
    System.exit(Cli.execute(args, System.out, System.err));
  }
}
