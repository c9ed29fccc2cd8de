package org.sparsityworkbench.app;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.io.SafeTensors;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.train.Corpus;
import org.sparsityworkbench.engine.train.TrainOptions;
import org.sparsityworkbench.engine.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./workbench train}: trains a model of any family on a byte corpus. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = "Train a model on a byte corpus, with checkpoints, resume and training.csv.")
final class Train implements Callable<Integer> {
  @CommandLine.Mixin ArchitectureOptions arch;

  @Option(names = "--corpus", required = true, description = "A text file or a folder of them.")
  Path corpus;

  @Option(names = "--out", required = true, description = "Run directory (model, checkpoint, csv).")
  Path out;

  @Option(names = "--steps", required = true, description = "Optimiser steps of the run.")
  int steps;

  @Option(names = "--batch", defaultValue = "16", description = "Sequences per step.")
  int batch;

  @Option(
      names = "--seq-len",
      description =
          "Bytes per training sequence (default: the model's --context, so every position"
              + " is trained).")
  Integer seqLen;

  @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (AdamW).")
  double lr;

  @Option(
      names = "--warmup",
      description = "Linear warm-up steps (default: 100, or a tenth of --steps if that is less).")
  Integer warmup;

  @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay.")
  double weightDecay;

  @Option(names = "--clip", defaultValue = "1.0", description = "Gradient norm clip.")
  double clip;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of weights and batches.")
  long seed;

  @Option(
      names = "--eval-every",
      defaultValue = "100",
      description = "Steps between held-out evaluations.")
  int evalEvery;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "200",
      description = "Steps between checkpoints.")
  int checkpointEvery;

  @Option(
      names = "--val-batches",
      defaultValue = "8",
      description = "Held-out batches per evaluation.")
  int valBatches;

  @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
  boolean resume;

  @Option(names = "--float16", description = "Store the exported weights as float16.")
  boolean float16;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ModelConfig c;
    org.sparsityworkbench.engine.config.MegabyteConfig mb;
    TrainOptions o;
    int context;
    try {
      mb = arch.megabyte() ? arch.toMegabyte() : null;
      c = mb == null ? arch.toConfig() : null;
      context = mb == null ? c.contextLength() : mb.contextLength();
      if (mb != null && float16) {
        throw new IllegalArgumentException("--float16: megabyte models are saved as float32 only");
      }
      int seqLen = this.seqLen != null ? this.seqLen : context;
      int warmup = this.warmup != null ? this.warmup : Math.min(100, steps / 10);
      o =
          new TrainOptions(
              steps,
              batch,
              seqLen,
              lr,
              warmup,
              weightDecay,
              clip,
              seed,
              evalEvery,
              checkpointEvery,
              valBatches);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Cli.checkOutputDir("--out", out);
    int seqLen = o.sequenceLength();
    if (seqLen < context) {
      spec.commandLine()
          .getErr()
          .printf(
              "warning: --seq-len %d is shorter than --context %d: positions %d..%d will never be"
                  + " trained, and text past %d bytes falls apart. Train with --seq-len %d, or"
                  + " afterwards: ./workbench cut-context --model %s --context %d%n",
              seqLen, context, seqLen, context - 1, seqLen, context, out, seqLen);
    }
    if (o.warmup() >= o.steps()) {
      spec.commandLine()
          .getErr()
          .printf(
              "warning: --warmup %d is not shorter than the run (--steps %d): the learning rate"
                  + " never reaches --lr %s and there is no decay. Use --warmup %d or less.%n",
              o.warmup(), o.steps(), lr, Math.max(0, o.steps() / 10));
    }
    Corpus data = Corpus.read(corpus, seqLen);
    PrintWriter err = spec.commandLine().getErr();
    long t0 = System.nanoTime();
    try (NDManager root = Cli.rootManager()) {
      Trainer trainer =
          mb == null
              ? Trainer.open(c, o, data, out, resume, root)
              : Trainer.open(mb, o, data, out, resume, root);
      int startStep = trainer.step();
      err.printf(
          "training %s (%s parameters) on %s: %d train / %d held-out bytes, %s%n",
          mb == null ? c.family() : "megabyte",
          ModelSummary.human(
              mb == null
                  ? ModelSummary.of(c).totalParams()
                  : org.sparsityworkbench.engine.model.MegabyteModel.parameters(mb)),
          corpus,
          data.train().length,
          data.validation().length,
          Engines.describe());
      trainer.run(
          p -> {
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double perStep = elapsed / Math.max(1, p.step() - startStep);
            long eta = (long) (perStep * (p.steps() - p.step()));
            int width = 24;
            int filled = (int) ((long) width * p.step() / p.steps());
            err.printf(
                Locale.ROOT,
                "\r[%s%s] step %d/%d  loss %.3f (%.2f bpb)  val %s bpb  %.0f tok/s  ETA %dm%02ds ",
                "=".repeat(filled),
                " ".repeat(width - filled),
                p.step(),
                p.steps(),
                p.loss(),
                p.loss() / Math.log(2),
                Double.isNaN(p.valBitsPerByte())
                    ? "-"
                    : String.format(Locale.ROOT, "%.3f", p.valBitsPerByte()),
                p.tokensPerS(),
                eta / 60,
                eta % 60);
            err.flush();
          },
          Integer.MAX_VALUE);
      err.println();
      double seconds = (System.nanoTime() - t0) / 1e9;
      trainer.export(
          float16 ? SafeTensors.DType.F16 : SafeTensors.DType.F32,
          Map.of("step", Integer.toString(trainer.step())));
      writeCard(c, mb, o, data, trainer, seconds, startStep);
      err.printf(
          Locale.ROOT,
          "done: %s, val %.3f bits per byte, %.0f s, %d updates skipped%n",
          out,
          trainer.lastValidation(),
          seconds,
          trainer.skippedUpdates());
    }
    return 0;
  }

  private void writeCard(
      ModelConfig c,
      org.sparsityworkbench.engine.config.MegabyteConfig mb,
      TrainOptions o,
      Corpus data,
      Trainer trainer,
      double seconds,
      int resumedAt)
      throws java.io.IOException {
    String family;
    String architecture;
    String parameters;
    boolean moe;
    if (mb == null) {
      ModelSummary s = ModelSummary.of(c);
      family = c.family().toString();
      architecture = s.architecture();
      parameters = s.totalParams() + " total, " + s.activeParams() + " active per token";
      moe = c.family().isMoe();
    } else {
      family = "megabyte";
      architecture =
          String.format(
              Locale.ROOT,
              "megabyte: patches of %d bytes; global %s d=%d x %d layers over %d patches; local"
                  + " dense d=%d x %d layers",
              mb.patchSize(),
              mb.global().family(),
              mb.global().dModel(),
              mb.global().nLayers(),
              mb.patches(),
              mb.local().dModel(),
              mb.local().nLayers());
      parameters = org.sparsityworkbench.engine.model.MegabyteModel.parameters(mb) + " total";
      moe = mb.global().family().isMoe();
    }
    double val = trainer.lastValidation();
    String command = String.join(" ", spec.commandLine().getParseResult().originalArgs());
    String card =
        "# "
            + out.getFileName()
            + "\n\n"
            + "A byte-level "
            + family
            + " model trained by Sparsity Workbench.\n\n"
            + "| | |\n|---|---|\n"
            + "| architecture | "
            + architecture
            + " |\n"
            + "| parameters | "
            + parameters
            + " |\n"
            + "| corpus | `"
            + data.source()
            + "` ("
            + data.train().length
            + " train / "
            + data.validation().length
            + " held-out bytes, last 5% held out) |\n"
            + "| steps | "
            + o.steps()
            + " x batch "
            + o.batch()
            + " x "
            + o.sequenceLength()
            + " bytes, AdamW lr "
            + o.learningRate()
            + ", warm-up "
            + o.warmup()
            + ", cosine to 10% |\n"
            + "| seed | "
            + o.seed()
            + " |\n"
            + String.format(Locale.ROOT, "| validation | %.3f bits per byte |%n", val)
            + String.format(
                Locale.ROOT,
                "| training time | %.0f s%s on %s |%n",
                seconds,
                resumedAt > 0 ? " (this invocation, resumed at step " + resumedAt + ")" : "",
                Engines.describe())
            + (trainer.skippedUpdates() > 0
                ? String.format(
                    Locale.ROOT,
                    "%n%d of %d updates were skipped because the gradient was not finite (see"
                        + " sample-models/README.md).%n",
                    trainer.skippedUpdates(),
                    o.steps())
                : "")
            + "\nReproduce:\n\n```\n./workbench train "
            + command.replaceFirst("^train ", "")
            + "\n```\n\n`training.csv` holds the loss curve"
            + (moe ? " and the expert load and router entropy per layer" : "")
            + ".\n";
    Files.writeString(out.resolve(TransformerModel.CARD_FILE), card, StandardCharsets.UTF_8);
  }
}
