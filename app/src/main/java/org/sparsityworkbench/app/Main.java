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
    if (args[0].equals("bench-gui")) {
      String usage = "usage: workbench bench-gui --tokens N [--tab NAME|all] [--rounds R]";
      java.util.Map<String, String> opts = new java.util.HashMap<>();
      for (int i = 1; i + 1 < args.length; i += 2) {
        opts.put(args[i], args[i + 1]);
      }
      boolean ok =
          args.length % 2 == 1
              && opts.keySet().stream().allMatch(k -> k.matches("--(tokens|tab|rounds)"))
              && opts.getOrDefault("--tokens", "").matches("[1-9][0-9]{0,6}")
              && opts.getOrDefault("--rounds", "5").matches("[1-9][0-9]?");
      if (!ok) {
        System.err.println(usage);
        System.exit(2);
      }
      System.setProperty(WorkbenchApp.BENCH_PROPERTY, opts.get("--tokens"));
      System.setProperty(WorkbenchApp.BENCH_ROUNDS_PROPERTY, opts.getOrDefault("--rounds", "5"));
      if (opts.containsKey("--tab")) {
        System.setProperty(WorkbenchApp.BENCH_TAB_PROPERTY, opts.get("--tab"));
      }
      WorkbenchApp.launchGui(new String[0]);
      return;
    }
    if (args[0].equals("screenshot")) {
      boolean ok = (args.length == 3 || args.length == 5) && args[1].equals("--out");
      if (ok && args.length == 5) {
        ok = args[3].equals("--model");
        System.setProperty(WorkbenchApp.FIRST_MODEL_PROPERTY, args[4]);
      }
      if (!ok) {
        System.err.println("usage: workbench screenshot --out DIR [--model NAME]");
        System.exit(2);
      }
      System.setProperty(WorkbenchApp.SCREENSHOT_PROPERTY, args[2]);
      WorkbenchApp.useHeadlessPlatform(); // the same pictures with or without a display
      WorkbenchApp.launchGui(new String[0]);
      return;
    }
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
