package org.sparsityworkbench.app;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.session.ModelIdentity;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryJson;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: {@code info}, {@code decode}, {@code init-model}. Exit 0 on success, 2 on a
 * usage error (with usage), 1 on failure with one clear line on stderr.
 */
@Command(
    name = "workbench",
    mixinStandardHelpOptions = true,
    version = Cli.PROGRAM,
    description = "See sparse transformers think. With no arguments, opens the GUI.",
    subcommands = {
      Cli.Info.class,
      Cli.Decode.class,
      Replay.class,
      Analyze.class,
      WhatIf.class,
      Cli.InitModel.class,
      Cli.CutContext.class,
      InitHf.class,
      Train.class,
      Bench.class,
      GuiCommands.Screenshot.class,
      GuiCommands.BenchGui.class
    })
public final class Cli implements Runnable {
  /** The program and version, as sessions and --version name it. */
  public static final String PROGRAM = SessionFile.PROGRAM;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Standard output as bytes, for decoded text. */
  private final PrintStream rawOut;

  private Cli(PrintStream rawOut) {
    this.rawOut = rawOut;
  }

  /** Standard output as bytes. */
  PrintStream rawOut() {
    return rawOut;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /** Runs the command line and returns the exit code. */
  public static int execute(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Cli(out));
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setExecutionExceptionHandler(
        (e, line, parse) -> {
          line.getErr().println("error: " + message(e));
          return 1;
        });
    return cl.execute(args);
  }

  private static String message(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException || t.getMessage() == null)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
      // Their message is often the bare path: say what is wrong with it.
      String why =
          f.getReason() != null
              ? f.getReason()
              : switch (f) {
                case java.nio.file.NoSuchFileException n -> "no such file or directory";
                case java.nio.file.FileAlreadyExistsException x -> "already exists";
                case java.nio.file.AccessDeniedException d -> "permission denied";
                case java.nio.file.NotDirectoryException d -> "not a directory";
                case java.nio.file.DirectoryNotEmptyException d -> "directory not empty";
                default -> f.getClass().getSimpleName();
              };
      return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + why;
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /**
   * Checks that an output folder option names a folder or nothing yet (it is created), not a file.
   */
  static void checkOutputDir(String option, Path dir) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException(
          option + " " + dir + " is a file; give a folder (it is created if missing)");
    }
  }

  static Path checkedModelDir(Path dir) throws ModelFormatException {
    if (!Files.exists(dir)) {
      throw new ModelFormatException(dir + ": no such model directory");
    }
    return dir;
  }

  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description = "Architecture, parameters total and active per token, FLOPs per token.")
  static final class Info implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory.")
    Path model;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      checkedModelDir(model);
      // Load it: info on a broken model must say so.
      ModelSummary s;
      try (NDManager m = rootManager();
          org.sparsityworkbench.engine.model.LanguageModel loaded =
              Models.open(model, m, LoadLine.stderr())) {
        s = loaded.summary();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("model", model.toString());
        map.putAll(s.toMap());
        out.println(new GsonBuilder().setPrettyPrinting().create().toJson(map));
      } else {
        out.println(model);
        out.println("  " + s.architecture());
        out.printf(
            "  parameters: %s total, %s active per token (%d / %d)%n",
            ModelSummary.human(s.totalParams()),
            ModelSummary.human(s.activeParams()),
            s.totalParams(),
            s.activeParams());
        out.printf(
            "  FLOPs per token: %s at position 0, %s at position %d%n",
            ModelSummary.human(s.flopsFirst()),
            ModelSummary.human(s.flopsLast()),
            s.contextLength() - 1);
        out.printf("  memory: %.1f MiB of float32 weights%n", s.totalParams() * 4.0 / (1 << 20));
      }
      return 0;
    }
  }

  @Command(
      name = "decode",
      mixinStandardHelpOptions = true,
      description = "Decode a prompt: streamed text, or telemetry records as JSON lines.")
  static final class Decode implements Callable<Integer> {
    @CommandLine.ParentCommand Cli parent;

    @Option(names = "--model", required = true, description = "Model directory.")
    Path model;

    @Option(names = "--prompt", required = true, description = "Prompt text (UTF-8).")
    String prompt;

    @Option(
        names = "--max-tokens",
        required = true,
        description = "Tokens to generate (bytes for the byte-level models).")
    int maxTokens;

    @Option(
        names = "--temperature",
        defaultValue = "0.8",
        description = "Sampling temperature; 0 = greedy (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Top-k filter, 0 = off.")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus filter, 1 = off.")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampler seed.")
    long seed;

    @Option(names = "--jsonl", description = "Print the telemetry records as JSON lines.")
    boolean jsonl;

    @Option(
        names = "--telemetry",
        description = "off, summary or full (default: full with --jsonl, off otherwise).")
    String telemetry;

    @Option(
        names = "--no-capacity",
        description = "Do not apply the experts' capacity limit to the prompt.")
    boolean noCapacity;

    @Option(
        names = "--save",
        description =
            "Save the decode as a session file (gzip-compressed JSON lines: the model's identity"
                + " and every record; replay it with 'replay').")
    Path save;

    @Option(
        names = "--logit-lens",
        description =
            "Every token record's layers carry the next-token distribution read after that layer"
                + " (final norm, then the output head; not with --telemetry off).")
    boolean logitLens;

    @CommandLine.Mixin InterventionOptions interventions = new InterventionOptions();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      TelemetryLevel level;
      SamplingOptions sampling;
      DecodeOptions options;
      try {
        level =
            telemetry == null
                ? (jsonl || save != null ? TelemetryLevel.FULL : TelemetryLevel.OFF)
                : TelemetryLevel.parse(telemetry);
        sampling = new SamplingOptions(temperature, topK, topP, seed);
        options =
            new DecodeOptions(maxTokens, sampling, level, !noCapacity)
                .with(interventions.list(spec.commandLine()))
                .withLogitLens(logitLens);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      checkedModelDir(model);
      if (save != null && Files.isDirectory(save)) {
        throw new IOException("--save " + save + " is a folder; give a file name");
      }
      // Raw bytes: a multi-byte character arrives one byte (token) at a time.
      PrintStream out = parent.rawOut;
      List<Records.Record> saved = new java.util.ArrayList<>();
      try (NDManager m = rootManager();
          org.sparsityworkbench.engine.model.LanguageModel loaded =
              Models.open(model, m, LoadLine.stderr())) {
        if (!loaded.supportsInterventions() && !options.interventions().isEmpty()) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "interventions are not supported for " + loaded.family() + " models yet");
        }
        if (!loaded.supportsLogitLens() && logitLens) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--logit-lens is not supported for " + loaded.family() + " models yet");
        }
        Records.Session session = options.session(model.toString(), loaded.family(), prompt, null);
        Records.End end =
            DecodeSession.run(
                loaded,
                prompt,
                options,
                r -> {
                  if (save != null && !(r instanceof Records.End)) {
                    saved.add(r instanceof Records.Prefill p ? p.withSession(session) : r);
                  }
                  if (jsonl) {
                    if (r instanceof Records.Prefill p) {
                      out.println(TelemetryJson.toJson(p.withSession(session)));
                    } else if (!(r instanceof Records.End)) {
                      out.println(TelemetryJson.toJson(r));
                    }
                  } else if (r instanceof Records.Token t) {
                    if (loaded.isNative()) {
                      out.write(t.token()); // a byte token: the terminal completes characters
                    } else {
                      out.print(t.text()); // the tokenizer's text, whole characters only
                    }
                    out.flush();
                  }
                },
                () -> false);
        if (save != null) {
          saved.add(end);
          SessionFile.Header header =
              new SessionFile.Header(
                  SessionFile.VERSION,
                  PROGRAM,
                  ModelIdentity.of(model, loaded.family(), loaded.isNative(), loaded.configJson()));
          SessionFile.of(header, saved).save(save);
        }
        if (jsonl) {
          out.println(TelemetryJson.toJson(end));
        } else {
          out.println();
          spec.commandLine()
              .getErr()
              .printf(
                  "[%d tokens, %.1f tokens/s, %s, stop: %s]%n",
                  end.generated(), end.tokensPerS(), Engines.describe(), end.reason());
        }
        out.flush();
      }
      return 0;
    }
  }

  @Command(
      name = "init-model",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description =
          "Write a randomly initialised model directory (config.json, model.safetensors).")
  static final class InitModel implements Callable<Integer> {
    @CommandLine.Mixin ArchitectureOptions arch;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights.")
    long seed;

    @Option(names = "--force", description = "Replace an existing model in --out.")
    boolean force;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (arch.megabyte()) {
        return initMegabyte();
      }
      ModelConfig c;
      try {
        c = arch.toConfig();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      checkOutputDir("--out", out);
      if (Files.exists(out.resolve(TransformerModel.WEIGHTS_FILE))
          || Files.exists(out.resolve(TransformerModel.CONFIG_FILE))) {
        if (!force) {
          throw new IOException(out + " already holds a model; use --force to replace it");
        }
      }
      try (NDManager m = rootManager();
          TransformerModel model = TransformerModel.random(c, seed, m)) {
        model.save(out, Map.of("format", "pt", "init", "random seed " + seed));
      }
      ModelSummary s = ModelSummary.of(c);
      Files.writeString(
          out.resolve(TransformerModel.CARD_FILE),
          "# Random "
              + c.family()
              + " model\n\n"
              + "Randomly initialised by `./workbench "
              + String.join(" ", spec.commandLine().getParseResult().originalArgs())
              + "`. Not trained: its text is noise and its routing random.\n\n"
              + "- "
              + s.architecture()
              + "\n- parameters: "
              + s.totalParams()
              + " total, "
              + s.activeParams()
              + " active per token\n",
          StandardCharsets.UTF_8);
      spec.commandLine()
          .getOut()
          .printf(
              "wrote %s (%s, %s parameters)%n",
              out, s.architecture(), ModelSummary.human(s.totalParams()));
      return 0;
    }

    private int initMegabyte() throws IOException {
      org.sparsityworkbench.engine.config.MegabyteConfig c;
      try {
        c = arch.toMegabyte();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      checkOutputDir("--out", out);
      if ((Files.exists(out.resolve(TransformerModel.WEIGHTS_FILE))
              || Files.exists(out.resolve(TransformerModel.CONFIG_FILE)))
          && !force) {
        throw new IOException(out + " already holds a model; use --force to replace it");
      }
      try (NDManager m = rootManager();
          org.sparsityworkbench.engine.model.MegabyteModel model =
              org.sparsityworkbench.engine.model.MegabyteModel.random(c, seed, m)) {
        model.save(out, Map.of("format", "pt", "init", "random seed " + seed));
      }
      long params = org.sparsityworkbench.engine.model.MegabyteModel.parameters(c);
      String shape =
          String.format(
              java.util.Locale.ROOT,
              "megabyte: patches of %d bytes over %d; global %s d=%d x %d layers; local dense d=%d"
                  + " x %d layers",
              c.patchSize(),
              c.contextLength(),
              c.global().family(),
              c.global().dModel(),
              c.global().nLayers(),
              c.local().dModel(),
              c.local().nLayers());
      Files.writeString(
          out.resolve(TransformerModel.CARD_FILE),
          "# Random megabyte model\n\n"
              + "Randomly initialised by `./workbench "
              + String.join(" ", spec.commandLine().getParseResult().originalArgs())
              + "`. Not trained: its text is noise.\n\n- "
              + shape
              + "\n- parameters: "
              + params
              + "\n",
          StandardCharsets.UTF_8);
      spec.commandLine()
          .getOut()
          .printf("wrote %s (%s, %s parameters)%n", out, shape, ModelSummary.human(params));
      return 0;
    }
  }

  @Command(
      name = "cut-context",
      mixinStandardHelpOptions = true,
      description =
          "Keep only the first N learned positions of a model (for one trained on sequences"
              + " shorter than its context: the later positions never received a gradient)."
              + " Rewrites config.json and model.safetensors in place, in the same number type.")
  static final class CutContext implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory.")
    Path model;

    @Option(names = "--context", required = true, description = "New context_length.")
    int context;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      org.sparsityworkbench.engine.io.SafeTensors.Contents before =
          org.sparsityworkbench.engine.io.SafeTensors.read(
              model.resolve(TransformerModel.WEIGHTS_FILE));
      org.sparsityworkbench.engine.io.SafeTensors.DType dtype =
          before.tensors().values().iterator().next().dtype();
      try (NDManager m = rootManager();
          TransformerModel old = TransformerModel.load(model, m)) {
        TransformerModel cut;
        try {
          cut = old.withContextLength(context, m);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--context: " + e.getMessage());
        }
        try (cut) {
          cut.save(model, before.metadata(), dtype);
        }
        spec.commandLine()
            .getOut()
            .printf("%s: context_length %d -> %d%n", model, old.config().contextLength(), context);
      }
      return 0;
    }
  }

  static NDManager rootManager() {
    Engines.pytorch();
    return NDManager.newBaseManager();
  }
}
