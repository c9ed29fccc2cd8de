package org.sparsityworkbench.engine.intervention;

import java.util.ArrayList;
import java.util.List;
import org.sparsityworkbench.engine.spec.FeedForwardSpec;
import org.sparsityworkbench.engine.spec.ModelSpec;

/**
 * The interventions in force, checked against a model ({@link #of}) and resolved per layer, so that
 * a layer asks for its own in O(1) on the decode path. Immutable; {@link #NONE} changes nothing.
 */
public final class Interventions {
  /** No intervention. */
  public static final Interventions NONE = new Interventions(List.of(), new Layer[0]);

  /**
   * What a routed layer does differently.
   *
   * @param banned experts never chosen, [E]
   * @param forced experts always chosen, in the order given
   * @param topK experts chosen per token
   * @param temperature the router's logits are divided by it
   * @param capacityFactor the capacity factor in a routed batch; null for the model's
   * @param sharedOff the shared expert adds nothing
   * @param headsOff heads whose output is zeroed, [H]; null when none
   * @param forcedUnits sparse FF: the unit forced in each block, -1 where none; null when none
   * @param blocksOff sparse FF: blocks that add nothing, [blocks]; null when none
   * @param modulesOff sparse QKV: modules zeroed, [S]; null when none
   */
  public record Layer(
      boolean[] banned,
      int[] forced,
      int topK,
      double temperature,
      Double capacityFactor,
      boolean sharedOff,
      boolean[] headsOff,
      int[] forcedUnits,
      boolean[] blocksOff,
      boolean[] modulesOff) {}

  private final List<Intervention> list;
  private final Layer[] layers; // null where a layer has none

  private final List<String> described;

  private Interventions(List<Intervention> list, Layer[] layers) {
    this.list = List.copyOf(list);
    this.layers = layers;
    this.described = this.list.stream().map(Intervention::describe).toList();
  }

  /**
   * The interventions for a model.
   *
   * @throws IllegalArgumentException naming the intervention: a layer or expert or head that does
   *     not exist, a routing change on a layer that does not route, every expert of a layer banned,
   *     more forced experts than k, an expert both banned and forced, k above the experts left, a
   *     temperature or capacity factor out of range
   */
  public static Interventions of(List<Intervention> list, ModelSpec spec) {
    if (list.isEmpty()) {
      return NONE;
    }
    int n = spec.layers();
    for (Intervention i : list) {
      if (i.layer() != Intervention.ALL && (i.layer() < 0 || i.layer() >= n)) {
        throw new IllegalArgumentException(
            i.describe() + ": the model has layers 0.." + (n - 1) + " (or * for every layer)");
      }
      boolean fits = false;
      for (int l = 0; l < n; l++) {
        fits |= applies(i, l) && kindFits(i, spec, l);
      }
      if (!fits) {
        boolean all = i.layer() == Intervention.ALL;
        String part =
            switch (i) {
              case Intervention.ForceUnit f ->
                  all ? " has a sparse feed-forward" : " has no sparse feed-forward";
              case Intervention.BlockOff b ->
                  all ? " has a sparse feed-forward" : " has no sparse feed-forward";
              case Intervention.ModuleOff m ->
                  all ? " has sparse QKV modules" : " has no sparse QKV modules";
              case Intervention.SharedExpertOff x ->
                  all ? " has a shared expert" : " does not route tokens to experts";
              default -> all ? " routes tokens to experts" : " does not route tokens to experts";
            };
        throw new IllegalArgumentException(
            i.describe()
                + ": "
                + (all ? "no layer" : "layer " + i.layer())
                + " of "
                + spec.family()
                + part);
      }
    }
    Layer[] layers = new Layer[n];
    for (int l = 0; l < n; l++) {
      layers[l] = layer(list, spec, l);
    }
    return new Interventions(list, layers);
  }

  /** Whether a layer has what an intervention changes. */
  private static boolean kindFits(Intervention i, ModelSpec spec, int l) {
    return switch (i) {
      case Intervention.HeadOff h -> true;
      // At every layer: some layer must have one (a given layer without one is refused by name).
      case Intervention.SharedExpertOff x ->
          spec.block(l).feedForward() instanceof FeedForwardSpec.Moe m
              && (x.layer() != Intervention.ALL || m.shared() != null);
      case Intervention.ForceUnit f ->
          spec.block(l).feedForward() instanceof FeedForwardSpec.SparseFf;
      case Intervention.BlockOff b ->
          spec.block(l).feedForward() instanceof FeedForwardSpec.SparseFf;
      case Intervention.ModuleOff m ->
          spec.block(l).attention()
              instanceof org.sparsityworkbench.engine.spec.AttentionSpec.SparseQkv;
      default -> spec.block(l).feedForward() instanceof FeedForwardSpec.Moe;
    };
  }

  private static boolean applies(Intervention i, int layer) {
    return i.layer() == Intervention.ALL || i.layer() == layer;
  }

  private static Layer layer(List<Intervention> list, ModelSpec spec, int l) {
    FeedForwardSpec.Moe moe =
        spec.block(l).feedForward() instanceof FeedForwardSpec.Moe m ? m : null;
    int heads = spec.block(l).attention().heads();
    boolean[] banned = new boolean[moe == null ? 0 : moe.experts()];
    List<Integer> forced = new ArrayList<>();
    int k = moe == null ? 0 : moe.topK();
    double temperature = 1;
    Double capacity = null;
    boolean sharedOff = false;
    boolean[] headsOff = null;
    FeedForwardSpec.SparseFf sparse =
        spec.block(l).feedForward() instanceof FeedForwardSpec.SparseFf f ? f : null;
    int[] forcedUnits = null;
    boolean[] blocksOff = null;
    boolean[] modulesOff = null;
    boolean any = false;
    for (Intervention i : list) {
      if (!applies(i, l) || !kindFits(i, spec, l)) {
        continue; // a change for every layer passes over the layers without its part
      }
      any = true;
      switch (i) {
        case Intervention.ForceUnit f -> {
          int blocks = sparse.width() / sparse.blockSize();
          if (f.block() < 0 || f.block() >= blocks) {
            throw new IllegalArgumentException(
                f.describe() + ": layer " + l + " has blocks 0.." + (blocks - 1));
          }
          if (f.unit() < 0 || f.unit() >= sparse.blockSize()) {
            throw new IllegalArgumentException(
                f.describe() + ": a block has units 0.." + (sparse.blockSize() - 1));
          }
          if (forcedUnits == null) {
            forcedUnits = new int[blocks];
            java.util.Arrays.fill(forcedUnits, -1);
          }
          forcedUnits[f.block()] = f.unit();
        }
        case Intervention.BlockOff b -> {
          int blocks = sparse.width() / sparse.blockSize();
          if (b.block() < 0 || b.block() >= blocks) {
            throw new IllegalArgumentException(
                b.describe() + ": layer " + l + " has blocks 0.." + (blocks - 1));
          }
          if (blocksOff == null) {
            blocksOff = new boolean[blocks];
          }
          blocksOff[b.block()] = true;
        }
        case Intervention.ModuleOff m -> {
          int modules =
              ((org.sparsityworkbench.engine.spec.AttentionSpec.SparseQkv)
                      spec.block(l).attention())
                  .modules();
          if (m.module() < 0 || m.module() >= modules) {
            throw new IllegalArgumentException(
                m.describe() + ": layer " + l + " has modules 0.." + (modules - 1));
          }
          if (modulesOff == null) {
            modulesOff = new boolean[modules];
          }
          modulesOff[m.module()] = true;
        }
        case Intervention.BanExpert b -> banned[expert(b.describe(), b.expert(), moe, l)] = true;
        case Intervention.ForceExpert f -> {
          int e = expert(f.describe(), f.expert(), moe, l);
          if (!forced.contains(e)) {
            forced.add(e);
          }
        }
        case Intervention.TopK t -> {
          if (t.k() < 1) {
            throw new IllegalArgumentException(t.describe() + ": k must be at least 1");
          }
          k = t.k();
        }
        case Intervention.RouterTemperature t -> {
          if (!(t.temperature() > 0) || t.temperature() > 1e6) {
            throw new IllegalArgumentException(
                t.describe() + ": the temperature must be in (0, 1e6]");
          }
          temperature = t.temperature();
        }
        case Intervention.CapacityFactor c -> {
          if (!(c.factor() >= 0) || c.factor() > 1000) {
            throw new IllegalArgumentException(
                c.describe() + ": the capacity factor must be in [0, 1000] (0: off)");
          }
          capacity = c.factor();
        }
        case Intervention.SharedExpertOff s -> {
          if (moe.shared() == null && s.layer() != Intervention.ALL) {
            throw new IllegalArgumentException(
                s.describe() + ": layer " + l + " has no shared expert");
          }
          sharedOff = true;
        }
        case Intervention.HeadOff h -> {
          if (h.head() < 0 || h.head() >= heads) {
            throw new IllegalArgumentException(
                h.describe() + ": layer " + l + " has heads 0.." + (heads - 1));
          }
          if (headsOff == null) {
            headsOff = new boolean[heads];
          }
          headsOff[h.head()] = true;
        }
      }
    }
    if (!any) {
      return null;
    }
    if (moe != null) {
      int left = 0;
      for (boolean b : banned) {
        left += b ? 0 : 1;
      }
      String where = "layer " + l;
      if (left == 0) {
        throw new IllegalArgumentException(
            where + ": every one of its " + moe.experts() + " experts is banned");
      }
      for (int e : forced) {
        if (banned[e]) {
          throw new IllegalArgumentException(
              where + ": expert " + e + " is both banned and forced");
        }
      }
      if (forced.size() > k) {
        throw new IllegalArgumentException(
            where + ": " + forced.size() + " forced experts but the router chooses " + k);
      }
      if (k > left) {
        throw new IllegalArgumentException(
            where + ": top-" + k + " but only " + left + " of its experts are not banned");
      }
    }
    return new Layer(
        banned,
        forced.stream().mapToInt(Integer::intValue).toArray(),
        k,
        temperature,
        capacity,
        sharedOff,
        headsOff,
        forcedUnits,
        blocksOff,
        modulesOff);
  }

  private static int expert(String what, int e, FeedForwardSpec.Moe moe, int l) {
    if (e < 0 || e >= moe.experts()) {
      throw new IllegalArgumentException(
          what + ": layer " + l + " has experts 0.." + (moe.experts() - 1));
    }
    return e;
  }

  /**
   * One intervention in its command-line form ({@code ban}, {@code 1:3}).
   *
   * @throws IllegalArgumentException naming the kind and value
   */
  public static Intervention parse(String kind, String value) {
    return Intervention.parse(kind, value);
  }

  /**
   * A valid value of this kind for the model, in its command-line form: at {@code layer} where the
   * kind applies there, else at every layer ({@code *}); null when the kind applies nowhere in the
   * model. The GUI offers the kinds that have one and fills their value field with it (the first
   * expert, head, block or unit; k one more than the router's, or one for a top-2 model; twice the
   * router's temperature; capacity off).
   */
  public static String example(String kind, ModelSpec spec, int layer) {
    for (String at :
        layer >= 0 && layer < spec.layers() ? List.of(layer + "", "*") : List.of("*")) {
      int l = at.equals("*") ? firstOf(kind, spec) : layer;
      if (l < 0) {
        return null;
      }
      String x =
          switch (kind) {
            case "shared-expert-off" -> null;
            case "top-k" ->
                spec.block(l).feedForward() instanceof FeedForwardSpec.Moe m
                    ? Integer.toString(m.topK() == 1 ? Math.min(2, m.experts()) : 1)
                    : "1";
            case "router-temperature" -> "2";
            case "capacity" -> "off";
            case "force-unit" -> "0:0";
            default -> "0";
          };
      String value = x == null ? at : at + ":" + x;
      try {
        of(List.of(parse(kind, value)), spec);
        return value;
      } catch (IllegalArgumentException e) {
        // not at this layer: try every layer, then give up
      }
    }
    return null;
  }

  /** The first layer where a kind has what it changes; -1 when none. */
  private static int firstOf(String kind, ModelSpec spec) {
    Intervention probe =
        parse(
            kind,
            kind.equals("shared-expert-off") ? "*" : kind.equals("force-unit") ? "*:0:0" : "*:1");
    for (int l = 0; l < spec.layers(); l++) {
      if (kindFits(probe, spec, l)) {
        return l;
      }
    }
    return -1;
  }

  /** What a layer does differently; null when nothing. */
  public Layer at(int layer) {
    return layer < layers.length ? layers[layer] : null;
  }

  /** True when nothing changes. */
  public boolean isEmpty() {
    return list.isEmpty();
  }

  /** The interventions as given. */
  public List<Intervention> list() {
    return list;
  }

  /** Their command-line forms, in the order given (what telemetry records list). */
  public List<String> describe() {
    return described;
  }

  @Override
  public String toString() {
    return describe().toString();
  }
}
