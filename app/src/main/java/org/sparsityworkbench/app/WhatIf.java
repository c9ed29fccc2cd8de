package org.sparsityworkbench.app;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.decode.Comparison;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.intervention.Interventions;
import org.sparsityworkbench.engine.session.ModelIdentity;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code what-if}: a decode forked at a token, continued as it was and with interventions, side by
 * side (the GUI's Compare what-if on the command line).
 */
@Command(
    name = "what-if",
    mixinStandardHelpOptions = true,
    description =
        "Decode the prompt for --fork tokens, then continue twice in lockstep from that state with"
            + " the same seed: as it was (A) and with the interventions (B). Prints both texts, the"
            + " KL divergence of their next-token distributions per step (on A's text), where their"
            + " most probable next tokens first differ, and per layer how many of A's tokens B routes"
            + " to other experts; with --jsonl one line per step and a summary line.")
final class WhatIf implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory.")
  Path model;

  @Option(names = "--prompt", required = true, description = "Prompt text.")
  String prompt;

  @Option(
      names = "--fork",
      defaultValue = "0",
      description = "Tokens decoded before the fork (default ${DEFAULT-VALUE}: from the prompt).")
  int fork;

  @Option(
      names = "--max-tokens",
      defaultValue = "40",
      description = "Tokens each side continues (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = "--temperature",
      defaultValue = "0",
      description = "Sampling temperature, 0 = greedy (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--seed", defaultValue = "0", description = "Sampler seed.")
  long seed;

  @Option(names = "--jsonl", description = "One JSON line per step, then a summary line.")
  boolean jsonl;

  @Option(
      names = "--save",
      description =
          "Save A as a session file and B beside it (FILE-A.session.gz gives FILE-B.session.gz;"
              + " other names get -B before .session.gz); replay either with 'replay'.")
  Path save;

  @CommandLine.Mixin InterventionOptions interventions = new InterventionOptions();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    List<Intervention> list = interventions.list(spec.commandLine());
    if (list.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give at least one intervention (--ban L:E, --force L:E, ...)");
    }
    if (fork < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--fork must be 0 or more");
    }
    DecodeOptions original;
    try {
      original =
          new DecodeOptions(
              maxTokens,
              new SamplingOptions(temperature, 0, 1.0, seed),
              TelemetryLevel.SUMMARY,
              false);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Cli.checkedModelDir(model);
    PrintWriter out = spec.commandLine().getOut();
    try (NDManager m = Cli.rootManager();
        org.sparsityworkbench.engine.model.LanguageModel loaded =
            Models.open(model, m, LoadLine.stderr())) {
      // Refused here, with its reason, before anything runs.
      List<String> forms = Interventions.of(list, loaded.spec()).describe();
      int[] promptIds =
          org.sparsityworkbench.engine.decode.TokenDecoder.encodePrompt(loaded, prompt);
      List<Integer> ids = new ArrayList<>();
      for (int id : promptIds) {
        ids.add(id);
      }
      if (fork > 0) {
        DecodeOptions head = new DecodeOptions(fork, original.sampling(), TelemetryLevel.OFF, true);
        DecodeSession.run(
            loaded,
            promptIds,
            head,
            r -> {
              if (r instanceof Records.Token t) {
                ids.add(t.token());
              }
            },
            () -> false);
      }
      List<Comparison.Step> steps = new ArrayList<>();
      List<Records.Record> savedA = new ArrayList<>();
      List<Records.Record> savedB = new ArrayList<>();
      String forked =
          prompt
              + loaded
                  .tokenizer()
                  .decode(
                      ids.subList(promptIds.length, ids.size()).stream()
                          .mapToInt(Integer::intValue)
                          .toArray());
      Records.Session session = original.session(model.toString(), loaded.family(), forked, null);
      Gson gson = new Gson();
      Comparison.run(
          loaded,
          original,
          loaded,
          original.with(list),
          ids.stream().mapToInt(Integer::intValue).toArray(),
          new Comparison.Sink() {
            @Override
            public void sides(Records.Record a, Records.Record b) {
              savedA.add(a instanceof Records.Prefill p ? p.withSession(session) : a);
              savedB.add(b instanceof Records.Prefill p ? p.withSession(session) : b);
            }

            @Override
            public void accept(Comparison.Step s) {
              savedA.add(s.a());
              savedB.add(s.b());
              steps.add(s);
              if (jsonl) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("step", s.step());
                line.put("a_token", s.a().token());
                line.put("a_text", s.a().text());
                line.put("b_token", s.b().token());
                line.put("b_text", s.b().text());
                line.put("agree", s.agree());
                line.put("kl_bits", s.kl());
                if (s.moved() != null) {
                  line.put("moved", s.moved());
                }
                out.println(gson.toJson(line));
              }
            }
          },
          () -> false);
      if (save != null) {
        SessionFile.Header header =
            new SessionFile.Header(
                SessionFile.VERSION,
                SessionFile.PROGRAM,
                ModelIdentity.of(model, loaded.family(), loaded.isNative(), loaded.configJson()));
        SessionFile.of(header, savedA).save(save);
        SessionFile.of(header, savedB).save(SessionFile.sideB(save));
      }
      int first = -1;
      int agree = 0;
      double kl = 0;
      Map<Integer, Integer> moved = new java.util.TreeMap<>();
      StringBuilder a = new StringBuilder();
      StringBuilder b = new StringBuilder();
      for (Comparison.Step s : steps) {
        a.append(s.a().text());
        b.append(s.b().text());
        agree += s.agree() ? 1 : 0;
        kl += s.kl();
        if (first < 0 && !s.agree()) {
          first = s.step();
        }
        if (s.moved() != null) {
          s.moved().forEach(l -> moved.merge(l, 1, Integer::sum));
        }
      }
      String with = String.join(", ", forms);
      if (jsonl) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("type", "what_if");
        summary.put("fork", ids.size() - promptIds.length);
        summary.put("interventions", forms);
        summary.put("steps", steps.size());
        summary.put("first_difference", first < 0 ? null : first);
        summary.put("mean_kl_bits", steps.isEmpty() ? null : kl / steps.size());
        Map<String, Integer> perLayer = new LinkedHashMap<>();
        moved.forEach((l, n) -> perLayer.put(Integer.toString(l), n));
        summary.put("tokens_changed_expert", perLayer);
        out.println(new com.google.gson.GsonBuilder().serializeNulls().create().toJson(summary));
      } else {
        out.println("A (as it was): " + a);
        out.println("B (with " + with + "): " + b);
        StringBuilder layers = new StringBuilder();
        moved.forEach(
            (l, n) -> layers.append(layers.isEmpty() ? "" : ", ").append("L" + l + " " + n));
        out.printf(
            Locale.ROOT,
            "%d steps from token %d · most probable next token agrees %.0f%% · mean KL %.3f bits ·"
                + " %s · tokens that changed expert: %s%n",
            steps.size(),
            ids.size() - promptIds.length,
            steps.isEmpty() ? 0.0 : 100.0 * agree / steps.size(),
            steps.isEmpty() ? 0.0 : kl / steps.size(),
            first < 0 ? "they never differ" : "first differ at step " + first,
            layers.isEmpty() ? "none" : layers);
      }
    }
    return 0;
  }
}
