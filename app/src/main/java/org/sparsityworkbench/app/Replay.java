package org.sparsityworkbench.app;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code replay FILE}: a saved session's text, or its records exactly as the decode printed them.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description =
        "Print a saved session (decode --save, or Save session in the GUI) without its model: the"
            + " decoded text, or with --jsonl the telemetry records exactly as decode --jsonl"
            + " printed them.")
final class Replay implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "Session file.")
  Path file;

  @Option(names = "--jsonl", description = "Print the telemetry records as JSON lines.")
  boolean jsonl;

  @CommandLine.ParentCommand Cli parent;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SessionFile s = SessionFile.read(file);
    PrintStream out = parent.rawOut();
    if (jsonl) {
      for (String line : s.lines()) {
        out.println(line);
      }
    } else {
      for (Records.Token t : s.tokens()) {
        if (s.header().model().nativeModel()) {
          out.write(t.token()); // a byte token: the terminal completes characters
        } else {
          out.print(t.text());
        }
      }
      out.println();
      Records.End end = s.end();
      spec.commandLine()
          .getErr()
          .printf(
              "[session of %s (%s, weights %s), saved by %s: %d tokens, stop: %s]%n",
              s.header().model().name(),
              s.header().model().family(),
              s.header().model().weightsSha256().substring(0, 12),
              s.header().program(),
              end.generated(),
              end.reason());
    }
    out.flush();
    return 0;
  }
}
