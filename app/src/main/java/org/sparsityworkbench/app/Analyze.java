package org.sparsityworkbench.app;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.analysis.AnalysisCorpus;
import org.sparsityworkbench.engine.analysis.AnalysisFiles;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.CorpusAnalysis;
import org.sparsityworkbench.engine.analysis.LayerKind;
import org.sparsityworkbench.engine.model.TransformerModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code analyze}: expert specialisation over a corpus, as CSV tables and a JSON summary. */
@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    description =
        "Run a corpus through a routed or sparse model (batched prefill, no sampling) and count"
            + " its choices per layer and domain: expert use, the tokens of every expert,"
            + " co-activation, entropy, load balance, dead experts, sparse FF unit use, and with"
            + " --compare router saturation. Writes CSV tables and summary.json into --out.")
final class Analyze implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory.")
  Path model;

  @Option(
      names = "--corpus",
      description =
          "Corpus folder: each subfolder is a domain (the bundled sample-models/corpus), or a"
              + " folder of files as one domain.")
  Path corpus;

  @Option(
      names = "--domain",
      paramLabel = "DIR",
      description =
          "A folder as one domain, named after it (repeat for each domain; instead of --corpus).")
  List<Path> domains;

  @Option(
      names = "--tokens",
      defaultValue = "1000000",
      description = "Token budget, shared evenly among the domains (default ${DEFAULT-VALUE}).")
  long tokens;

  @Option(
      names = "--compare",
      description = "A second model with the same tokenizer: router saturation per layer.")
  Path compare;

  @Option(
      names = "--window",
      defaultValue = "0",
      description = "Tokens per window (default: min(context, 256)).")
  int window;

  @Option(
      names = "--batch",
      defaultValue = "0",
      description = "Windows per forward pass (default: about 2,048 tokens).")
  int batch;

  @Option(names = "--out", required = true, description = "Folder for the tables (created).")
  Path out;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Cli.checkedModelDir(model);
    if (compare != null) {
      Cli.checkedModelDir(compare);
    }
    Cli.checkOutputDir("--out", out);
    boolean byDomain = domains != null && !domains.isEmpty();
    if ((corpus == null) == !byDomain) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give either --corpus DIR or one --domain DIR per domain");
    }
    AnalysisCorpus c = byDomain ? AnalysisCorpus.ofFolders(domains) : AnalysisCorpus.of(corpus);
    CorpusAnalysis.Options options = new CorpusAnalysis.Options(tokens, window, batch);
    PrintWriter err = spec.commandLine().getErr();
    AnalysisResult r;
    try (NDManager m = Cli.rootManager();
        TransformerModel a = Models.load(model, m, LoadLine.stderr());
        TransformerModel b = compare == null ? null : Models.load(compare, m, LoadLine.stderr())) {
      long[] lastPrint = {System.nanoTime()};
      r =
          CorpusAnalysis.run(
              a,
              b,
              c,
              options,
              (done, planned, seconds) -> {
                long now = System.nanoTime();
                if (now - lastPrint[0] > 5_000_000_000L) {
                  lastPrint[0] = now;
                  err.printf(
                      Locale.ROOT,
                      "%,d of %,d tokens, %.0f tokens/s%n",
                      done,
                      planned,
                      done / Math.max(seconds, 1e-9));
                }
              },
              () -> false);
    }
    List<Path> files = AnalysisFiles.write(r, out);
    PrintWriter o = spec.commandLine().getOut();
    o.printf(
        Locale.ROOT,
        "%s: %,d tokens of %s in %.1f s (%.0f tokens/s), domains %s%n",
        r.run().model(),
        r.tokens(),
        byDomain ? domains.size() + " domain folders" : corpus,
        r.run().seconds(),
        r.tokens() / Math.max(r.run().seconds(), 1e-9),
        String.join(", ", r.domains()));
    for (LayerKind k : r.layers()) {
      int l = k.layer();
      if (k.routed()) {
        AnalysisResult.Saturation s = r.saturation(l);
        o.printf(
            Locale.ROOT,
            "layer %d: %d experts, top-%d; load entropy %.3f, load balance %.3f, token consistency"
                + " %.3f, dead %s, rare %s%s%n",
            l,
            k.experts(),
            k.topK(),
            r.loadEntropy(l),
            r.loadBalance(l),
            r.tokenConsistency(l),
            r.deadExperts(l),
            r.rareExperts(l),
            s == null ? "" : String.format(Locale.ROOT, "; saturation %.3f", s.meanOverlap()));
      } else if (k.sparseFf()) {
        o.printf(
            Locale.ROOT,
            "layer %d: sparse FF, %d units; unit entropy %.3f, unused units %d%n",
            l,
            k.units(),
            r.unitEntropy(l),
            r.unusedUnits(l));
      }
    }
    o.println("wrote " + files.size() + " files to " + out);
    return 0;
  }
}
