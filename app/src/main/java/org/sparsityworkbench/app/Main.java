package org.sparsityworkbench.app;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Entry point: the GUI with no arguments, the command line with a subcommand. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length == 0) {
      WorkbenchApp.launchGui(args);
      return;
    }
    // Everything else, screenshot and bench-gui included, parses as a subcommand (help, usage).
    // UTF-8 whatever the locale: JSON lines and decoded text are UTF-8.
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    PrintStream err =
        new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    int code = Cli.execute(args, out, err);
    out.flush();
    System.exit(code);
  }
}
