package org.sparsityworkbench.app;

import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.bench.SparseFfBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./workbench bench ...}: speed measurements recorded in docs/benchmarks.md. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks (single intra-op thread unless ai.djl.pytorch.num_threads is set).",
    subcommands = {
      Bench.SparseFf.class,
      Bench.Model.class,
      Bench.Hf.class,
      LongDecodeBench.class,
      MegabyteBenchCommand.class
    })
final class Bench implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark name");
  }

  @Command(
      name = "sparse-ff",
      mixinStandardHelpOptions = true,
      description =
          "Batch-1 decode latency of one sparse FF layer vs the dense FF it replaces (d_ff = 4d,"
              + " controller rank d_ff/N, fresh input every call): dense, the sparse decode path"
              + " and the sparse path through DJL alone, timed call by call in turn, in rounds"
              + " that run every configuration once in a rotating order; the median and range of"
              + " the rounds' speed-ups.")
  static final class SparseFf implements Callable<Integer> {
    @Option(names = "--d", split = ",", description = "Model widths (default 512,1024,2048).")
    List<Integer> d = new ArrayList<>(List.of(512, 1024, 2048));

    @Option(names = "--n", split = ",", description = "Units per block (default 16,32,64).")
    List<Integer> n = new ArrayList<>(List.of(16, 32, 64));

    @Option(
        names = "--iterations",
        defaultValue = "100",
        description = "Measured calls of each path per configuration and round (default 100).")
    int iterations;

    @Option(
        names = "--rounds",
        defaultValue = "5",
        description = "Measured rounds after one warm-up round (default 5).")
    int rounds;

    @Option(names = "--json", description = "Print JSON rows.")
    boolean json;

    @Option(names = "--out", description = "Also write the JSON rows to this file.")
    Path out;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      for (int x : d) {
        if (x < 16 || x > 8192) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--d " + x + ": 16..8192");
        }
      }
      for (int x : n) {
        for (int w : d) {
          if (x < 2 || 4 * w % x != 0) {
            throw new CommandLine.ParameterException(
                spec.commandLine(), "--n " + x + ": must be >= 2 and divide d_ff = 4d");
          }
        }
      }
      if (rounds < 1 || iterations < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--rounds and --iterations must be >= 1");
      }
      PrintWriter w = spec.commandLine().getOut();
      List<SparseFfBench.Config> configs = new ArrayList<>();
      for (int x : d) {
        for (int b : n) {
          configs.add(new SparseFfBench.Config(x, b));
        }
      }
      if (!json) {
        w.println(
            "# "
                + Engines.describe()
                + "; "
                + rounds
                + " rounds x "
                + iterations
                + " calls per path; times: median of the rounds' medians");
        w.flush();
      }
      int[] round = {0};
      List<SparseFfBench.Row> rows =
          SparseFfBench.measure(
              configs,
              iterations,
              rounds,
              42,
              s -> {
                if (!json) {
                  StringBuilder line = new StringBuilder("# round " + ++round[0] + " speed-ups:");
                  for (double v : s) {
                    line.append(String.format(" %.2f", v));
                  }
                  w.println(line);
                  w.flush();
                }
              });
      if (!json) {
        w.printf(
            "%6s %6s %4s %5s %9s %9s %9s %8s %13s %8s %8s %8s%n",
            "d",
            "d_ff",
            "N",
            "rank",
            "dense_us",
            "sparse_us",
            "djl_us",
            "speedup",
            "min-max",
            "djl_spd",
            "bound",
            "of_bound");
        for (SparseFfBench.Row r : rows) {
          w.printf(
              "%6d %6d %4d %5d %9.1f %9.1f %9.1f %7.2fx %6.2f-%-6.2f %7.2fx %7.2fx %8.2f%n",
              r.d(),
              r.dFf(),
              r.n(),
              r.controllerRank(),
              r.denseUs(),
              r.sparseUs(),
              r.djlUs(),
              r.speedup(),
              r.speedupMin(),
              r.speedupMax(),
              r.djlSpeedup(),
              r.flopBound(),
              r.ofBound());
        }
        if (!rows.isEmpty() && !rows.getFirst().javaPath()) {
          w.println(
              "# the sparse decode path ran through DJL: start Java with --add-modules"
                  + " jdk.incubator.vector for the Java path");
        }
        w.flush();
      }
      emit(rows, json, out, w);
      return 0;
    }
  }

  @Command(
      name = "model",
      mixinStandardHelpOptions = true,
      description =
          "Whole-model decode: median ms per token with random weights, half the context as"
              + " prompt, telemetry off; the families of a width in rounds that decode with each"
              + " once in a rotating order; the median and range over rounds of ms per token and"
              + " of the speed-up over dense in the same round.")
  static final class Model implements Callable<Integer> {
    @Option(
        names = "--families",
        split = ",",
        description = "Families (default dense,sparse-ff,sparse-ffqkv).")
    List<String> families = new ArrayList<>(List.of("dense", "sparse-ff", "sparse-ffqkv"));

    @Option(names = "--d", split = ",", description = "Widths (default 1024).")
    List<Integer> d = new ArrayList<>(List.of(1024));

    @Option(names = "--layers", defaultValue = "12")
    int layers;

    @Option(names = "--context", defaultValue = "256")
    int context;

    @Option(
        names = "--rounds",
        defaultValue = "3",
        description = "Measured rounds after one warm-up decode of each family (default 3).")
    int rounds;

    @Option(names = "--json", description = "Print JSON rows.")
    boolean json;

    @Option(names = "--out", description = "Also write the JSON rows to this file.")
    Path out;

    @Option(names = "--chart", description = "Write a PNG chart of ms/token against d.")
    Path chart;

    @Option(
        names = "--from",
        description = "Read the rows from a JSON file written by --out instead of measuring.")
    Path from;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      List<org.sparsityworkbench.engine.config.Family> fams = new ArrayList<>();
      try {
        for (String f : families) {
          fams.add(org.sparsityworkbench.engine.config.Family.parse(f));
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      if (rounds < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--rounds must be >= 1");
      }
      PrintWriter w = spec.commandLine().getOut();
      List<org.sparsityworkbench.engine.bench.ModelBench.Row> rows = new ArrayList<>();
      if (!json) {
        w.println(
            "# "
                + Engines.describe()
                + ", "
                + layers
                + " layers, context "
                + context
                + (from == null ? ", " + rounds + " rounds" : ""));
        w.flush();
      }
      if (from != null) {
        rows.addAll(
            List.of(
                new GsonBuilder()
                    .setFieldNamingPolicy(
                        com.google.gson.FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
                    .create()
                    .fromJson(
                        Files.readString(from),
                        org.sparsityworkbench.engine.bench.ModelBench.Row[].class)));
        d = List.of();
      }
      for (int x : d) {
        int width = x;
        int[] round = {0};
        rows.addAll(
            org.sparsityworkbench.engine.bench.ModelBench.measure(
                fams,
                x,
                layers,
                context,
                rounds,
                ms -> {
                  if (!json) {
                    StringBuilder line =
                        new StringBuilder("# d=" + width + " round " + ++round[0] + " ms/token:");
                    for (int i = 0; i < ms.length; i++) {
                      line.append(String.format(" %s %.2f", fams.get(i).id(), ms[i]));
                    }
                    w.println(line);
                    w.flush();
                  }
                }));
      }
      if (!json) {
        w.printf(
            "%-14s %6s %12s %12s %10s %15s %10s %9s %13s%n",
            "family",
            "d",
            "params",
            "active",
            "ms/token",
            "min-max",
            "tokens/s",
            "speedup",
            "min-max");
        rows.forEach(r -> printRow(w, r));
        w.flush();
      }
      emit(rows, json, out, w);
      if (chart != null) {
        ScalingChart.write(rows, layers, context, chart);
      }
      return 0;
    }
  }

  private static void printRow(PrintWriter w, org.sparsityworkbench.engine.bench.ModelBench.Row r) {
    w.printf(
        "%-14s %6d %12d %12d %10.2f %7.2f-%-7.2f %10.1f %8.2fx %6.2f-%.2f%n",
        r.family(),
        r.d(),
        r.paramsTotal(),
        r.paramsActive(),
        r.msPerToken(),
        r.msMin(),
        r.msMax(),
        r.tokensPerS(),
        r.speedup(),
        r.speedupMin(),
        r.speedupMax());
  }

  /** Prints the rows as JSON (with --json) and writes them to --out, snake_case field names. */
  private static void emit(List<?> rows, boolean json, Path out, PrintWriter w)
      throws java.io.IOException {
    String text =
        new GsonBuilder()
            .setFieldNamingPolicy(com.google.gson.FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .setPrettyPrinting()
            .create()
            .toJson(rows);
    if (json) {
      w.println(text);
    }
    if (out != null) {
      Files.writeString(out, text + "\n");
    }
  }

  @Command(
      name = "hf",
      mixinStandardHelpOptions = true,
      description =
          "Prompt and decode tokens/s of a Hugging Face (or any) model directory, summary"
              + " telemetry; without --model, a random Mixtral (hidden 512, intermediate 1024, 8"
              + " layers, 8 heads, 8 experts top-2, vocabulary 32000, F32) written once to"
              + " target/bench-hf-mixtral.")
  static final class Hf implements Callable<Integer> {
    @Option(names = "--model", description = "Model directory (default: the random Mixtral).")
    Path model;

    @Option(
        names = "--prompt-tokens",
        defaultValue = "64",
        description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(
        names = "--tokens",
        defaultValue = "256",
        description = "Tokens decoded per round (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
        names = "--rounds",
        defaultValue = "5",
        description = "Measured rounds after one warm-up (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (promptTokens < 1 || tokens < 1 || rounds < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--prompt-tokens, --tokens and --rounds must be >= 1");
      }
      Path dir = model;
      if (dir == null) {
        dir = Path.of("target", "bench-hf-mixtral");
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
          System.err.println("writing a random Mixtral to " + dir + " ...");
          org.sparsityworkbench.engine.hf.RandomMixtral.BENCH.write(dir, 1);
        }
      }
      var r = org.sparsityworkbench.engine.bench.HfBench.run(dir, promptTokens, tokens, rounds);
      PrintWriter out = spec.commandLine().getOut();
      double[] sorted = r.decodeTps().clone();
      java.util.Arrays.sort(sorted);
      if (json) {
        out.println(new GsonBuilder().setPrettyPrinting().create().toJson(r));
      } else {
        out.println(r.model() + ": " + r.architecture());
        out.printf(
            "  parameters %,d total, %,d active per token; %.1f MiB read per decoded token%n",
            r.params(), r.activeParams(), r.bytesPerToken() / (double) (1 << 20));
        out.printf(
            "  load %.2f s; prompt (%d tokens) %.1f tokens/s%n",
            r.loadSeconds(), promptTokens, r.promptTps());
        out.printf(
            "  decode %.1f tokens/s median of %d rounds of %d (min %.1f, max %.1f)%n",
            r.medianDecode(), rounds, tokens, sorted[0], sorted[sorted.length - 1]);
        out.printf(
            "  bandwidth %.1f GB/s (1 thread, matrix-vector) -> weight-streaming limit %.1f tokens/s;"
                + " reached %.0f%%%n",
            r.bandwidth() / 1e9, r.limitTps(), 100 * r.medianDecode() / r.limitTps());
        out.printf(
            "  resident memory %.0f MiB = %.2f x the float32 weights (%.0f MiB); %.0f MiB before"
                + " the model loaded, so the model added %.2f x its weights%n",
            r.rss() / (double) (1 << 20),
            r.rss() / (r.params() * 4.0),
            r.params() * 4.0 / (1 << 20),
            r.rssBefore() / (double) (1 << 20),
            (r.rss() - r.rssBefore()) / (r.params() * 4.0));
      }
      return 0;
    }
  }
}
