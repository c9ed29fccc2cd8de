package org.sparsityworkbench.app;

import java.util.ArrayList;
import java.util.List;
import org.sparsityworkbench.engine.intervention.Intervention;
import org.sparsityworkbench.engine.intervention.Interventions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The decode's interventions on the command line; LAYER is a layer (from 0) or {@code *} for every
 * layer where the change applies. Checked against the model before the decode starts.
 */
final class InterventionOptions {
  @Option(
      names = "--ban",
      paramLabel = "LAYER:EXPERT",
      description = "Never route to this expert (its probability is set to 0 before the top-k).")
  List<String> ban = new ArrayList<>();

  @Option(
      names = "--force",
      paramLabel = "LAYER:EXPERT",
      description =
          "Always route to this expert (chosen first; its gate follows the family's rule).")
  List<String> force = new ArrayList<>();

  @Option(
      names = "--top-k-experts",
      paramLabel = "LAYER:K",
      description = "Route each token to K experts instead of the model's top-k.")
  List<String> topK = new ArrayList<>();

  @Option(
      names = "--router-temperature",
      paramLabel = "LAYER:T",
      description = "Divide the router's logits by T before the softmax.")
  List<String> temperature = new ArrayList<>();

  @Option(
      names = "--capacity",
      paramLabel = "LAYER:FACTOR",
      description = "The experts' capacity factor in the prompt (a routed batch); off = none.")
  List<String> capacity = new ArrayList<>();

  @Option(
      names = "--shared-expert-off",
      paramLabel = "LAYER",
      description = "The shared expert (Qwen2-MoE) adds nothing.")
  List<String> sharedOff = new ArrayList<>();

  @Option(
      names = "--head-off",
      paramLabel = "LAYER:HEAD",
      description = "Zero this attention head's output.")
  List<String> headOff = new ArrayList<>();

  @Option(
      names = "--force-unit",
      paramLabel = "LAYER:BLOCK:UNIT",
      description = "Sparse FF: the controller chooses this unit (0..N-1) in this block.")
  List<String> forceUnit = new ArrayList<>();

  @Option(
      names = "--block-off",
      paramLabel = "LAYER:BLOCK",
      description = "Sparse FF: this block adds nothing.")
  List<String> blockOff = new ArrayList<>();

  @Option(
      names = "--module-off",
      paramLabel = "LAYER:MODULE",
      description = "Sparse QKV: zero this module's output.")
  List<String> moduleOff = new ArrayList<>();

  /** The interventions in the order of the kinds above, each kind in the order given. */
  List<Intervention> list(CommandLine cl) {
    List<Intervention> out = new ArrayList<>();
    try {
      add(out, "ban", ban);
      add(out, "force", force);
      add(out, "top-k", topK);
      add(out, "router-temperature", temperature);
      add(out, "capacity", capacity);
      add(out, "shared-expert-off", sharedOff);
      add(out, "head-off", headOff);
      add(out, "force-unit", forceUnit);
      add(out, "block-off", blockOff);
      add(out, "module-off", moduleOff);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
    return out;
  }

  private static void add(List<Intervention> out, String kind, List<String> values) {
    for (String v : values) {
      out.add(Interventions.parse(kind, v));
    }
  }
}
