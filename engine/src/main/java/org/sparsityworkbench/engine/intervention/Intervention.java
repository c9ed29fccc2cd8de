package org.sparsityworkbench.engine.intervention;

import java.util.Locale;

/**
 * One change to what a model computes, in force from the step it is set on. Layers count from 0;
 * {@link #ALL} means every layer where the change applies. {@link #describe()} is the command-line
 * form ({@code ban 1:3}), which telemetry records list.
 */
public sealed interface Intervention {
  /** Every layer. */
  int ALL = -1;

  /** The layer it changes, or {@link #ALL}. */
  int layer();

  /** The command-line form, e.g. {@code ban *:3}. */
  String describe();

  /** The kinds as the command line and telemetry name them. */
  java.util.List<String> KINDS =
      java.util.List.of(
          "ban",
          "force",
          "top-k",
          "router-temperature",
          "capacity",
          "shared-expert-off",
          "head-off",
          "force-unit",
          "block-off",
          "module-off");

  /**
   * Reads one intervention in its command-line form: {@code kind} one of {@link #KINDS}, {@code
   * value} {@code L:X} ({@code L} a layer or {@code *} for every layer; {@code X} an expert, k,
   * temperature, capacity factor or {@code off}, or head), or just {@code L} for {@code
   * shared-expert-off}.
   *
   * @throws IllegalArgumentException naming the kind and value
   */
  static Intervention parse(String kind, String value) {
    String where = kind + " " + value;
    String[] parts = value.split(":", -1);
    boolean single = kind.equals("shared-expert-off");
    boolean triple = kind.equals("force-unit");
    if (parts.length != (single ? 1 : triple ? 3 : 2)) {
      throw new IllegalArgumentException(
          where
              + ": expected "
              + (single ? "LAYER" : triple ? "LAYER:BLOCK:UNIT" : "LAYER:VALUE")
              + " (LAYER a number or *)");
    }
    int layer;
    try {
      layer = parts[0].equals("*") ? ALL : Integer.parseInt(parts[0].trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          where + ": the layer '" + parts[0] + "' is not a number or *");
    }
    if (single) {
      return new SharedExpertOff(layer);
    }
    String x = parts[1].trim();
    try {
      return switch (kind) {
        case "ban" -> new BanExpert(layer, Integer.parseInt(x));
        case "force" -> new ForceExpert(layer, Integer.parseInt(x));
        case "top-k" -> new TopK(layer, Integer.parseInt(x));
        case "router-temperature" -> new RouterTemperature(layer, Double.parseDouble(x));
        case "capacity" -> new CapacityFactor(layer, x.equals("off") ? 0 : Double.parseDouble(x));
        case "head-off" -> new HeadOff(layer, Integer.parseInt(x));
        case "force-unit" ->
            new ForceUnit(layer, Integer.parseInt(x), Integer.parseInt(parts[2].trim()));
        case "block-off" -> new BlockOff(layer, Integer.parseInt(x));
        case "module-off" -> new ModuleOff(layer, Integer.parseInt(x));
        default ->
            throw new IllegalArgumentException(
                where + ": unknown intervention '" + kind + "' (one of " + KINDS + ")");
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + ": '" + x + "' is not a number");
    }
  }

  private static String at(int l) {
    return l == ALL ? "*" : Integer.toString(l);
  }

  /** The router never chooses the expert: its probability is set to 0 before the top-k. */
  record BanExpert(int layer, int expert) implements Intervention {
    @Override
    public String describe() {
      return "ban " + at(layer) + ":" + expert;
    }
  }

  /**
   * The router always chooses the expert (first, before the top-k of the rest); its gate follows
   * the family's rule (Switch: its probability; top-k: its share of the chosen probabilities).
   */
  record ForceExpert(int layer, int expert) implements Intervention {
    @Override
    public String describe() {
      return "force " + at(layer) + ":" + expert;
    }
  }

  /** The router chooses k experts instead of the model's top-k. */
  record TopK(int layer, int k) implements Intervention {
    @Override
    public String describe() {
      return "top-k " + at(layer) + ":" + k;
    }
  }

  /** The router's logits are divided by the temperature before the softmax. */
  record RouterTemperature(int layer, double temperature) implements Intervention {
    @Override
    public String describe() {
      return "router-temperature " + at(layer) + ":" + num(temperature);
    }
  }

  /** The experts' capacity factor in a routed batch (the prefill); 0 turns capacity off. */
  record CapacityFactor(int layer, double factor) implements Intervention {
    @Override
    public String describe() {
      return "capacity " + at(layer) + ":" + (factor == 0 ? "off" : num(factor));
    }
  }

  /** The shared expert (Qwen2-MoE) adds nothing. */
  record SharedExpertOff(int layer) implements Intervention {
    @Override
    public String describe() {
      return "shared-expert-off " + at(layer);
    }
  }

  /** The attention head's output is zeroed before the output projection. */
  record HeadOff(int layer, int head) implements Intervention {
    @Override
    public String describe() {
      return "head-off " + at(layer) + ":" + head;
    }
  }

  /** Sparse FF: the controller's choice in the block is this unit (0..N-1) for every token. */
  record ForceUnit(int layer, int block, int unit) implements Intervention {
    @Override
    public String describe() {
      return "force-unit " + at(layer) + ":" + block + ":" + unit;
    }
  }

  /** Sparse FF: the block adds nothing (its chosen unit's output is zeroed). */
  record BlockOff(int layer, int block) implements Intervention {
    @Override
    public String describe() {
      return "block-off " + at(layer) + ":" + block;
    }
  }

  /** Sparse QKV: the module's multiplicative output is zeroed before the convolutions. */
  record ModuleOff(int layer, int module) implements Intervention {
    @Override
    public String describe() {
      return "module-off " + at(layer) + ":" + module;
    }
  }

  private static String num(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%s", v);
  }
}
