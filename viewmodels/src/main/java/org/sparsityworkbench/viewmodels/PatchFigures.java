package org.sparsityworkbench.viewmodels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * What Megabyte's patch view draws, computed from a decode's records (live or a session): the byte
 * stream cut into patches of P bytes, the global model's attention over patches and its routing per
 * patch, the local model's attention inside a patch, and the time of each level per step.
 *
 * <p>Which record holds what: the token record of a step appends the byte at {@code position} and
 * prepares the next position n = position + 1, whose patch is {@code patch.index} = n / P. When n
 * begins a patch the global model runs once, at its position k = n / P, reading patch k - 1's bytes
 * (a learned pad at k = 0); its attention row covers global positions 0..k, and its routing is the
 * decision for patch k (the global output feeds every byte of patch k). The local model runs at
 * every step, at position n mod P of patch k; its input there is the byte before (the pad at 0) and
 * its attention covers the positions 0..n mod P of the patch. The prefill's own steps come from its
 * record's {@code patches} where it has them (it ran stepwise); else their rows stay empty (NaN).
 */
public final class PatchFigures {
  /** Nothing to show (not a Megabyte decode, or nothing decoded yet). */
  public static final PatchFigures EMPTY = new PatchFigures(List.of(), List.of(), List.of(), 0);

  private final List<String> labels; // every byte known, prompt first
  private final List<Records.Token> steps;
  private final int patchSize;
  private final Records.Patch[] globalStep; // by patch index; null where it ran in the prefill
  private final Records.Patch[][] localStep; // [patch][inPatch]
  private final boolean[] inPrefill; // by patch index: its global step was the prefill's

  private PatchFigures(
      List<String> labels, List<Records.Patch> prefill, List<Records.Token> steps, int patchSize) {
    this.labels = labels;
    this.steps = steps;
    this.patchSize = patchSize;
    int patches = patchSize == 0 ? 0 : (labels.size() + 1 + patchSize - 1) / patchSize + 1;
    globalStep = new Records.Patch[patches];
    localStep = new Records.Patch[patches][Math.max(1, patchSize)];
    inPrefill = new boolean[patches];
    for (Records.Patch p : prefill) {
      if (place(p) && p.globalRan()) {
        inPrefill[p.index()] = true;
      }
    }
    for (Records.Token t : steps) {
      place(t.patch());
    }
  }

  private boolean place(Records.Patch p) {
    if (p == null || p.index() >= globalStep.length || p.inPatch() >= patchSize) {
      return false;
    }
    if (p.globalRan()) {
      globalStep[p.index()] = p;
    }
    localStep[p.index()][p.inPatch()] = p;
    return true;
  }

  /**
   * The figures of a decode: the prompt's labels from its prefill, then each step's token.
   *
   * @param promptLabels the prompt's bytes as shown
   * @param tokens the steps so far, in order
   */
  public static PatchFigures of(List<String> promptLabels, List<TokenSnapshot> tokens) {
    return of(promptLabels, List.of(), tokens);
  }

  /** The figures of a decode whose prefill recorded its steps ({@link Records.Prefill#patches}). */
  public static PatchFigures of(
      List<String> promptLabels, List<Records.Patch> prefill, List<TokenSnapshot> tokens) {
    int p = patchSize(tokens);
    if (p == 0 && !prefill.isEmpty()) {
      p = prefill.getFirst().size();
    }
    if (p <= 0) {
      return EMPTY;
    }
    List<String> labels = new ArrayList<>(promptLabels);
    List<Records.Token> steps = new ArrayList<>(tokens.size());
    for (TokenSnapshot t : tokens) {
      labels.add(t.label());
      steps.add(t.record());
    }
    return new PatchFigures(List.copyOf(labels), List.copyOf(prefill), List.copyOf(steps), p);
  }

  /**
   * P, as the records say it; 0 when they have no patch telemetry. Every record of a decode is of
   * one family, so the first says it (a transformer's decode costs no scan).
   */
  static int patchSize(List<TokenSnapshot> tokens) {
    Records.Patch p = tokens.isEmpty() ? null : tokens.getFirst().record().patch();
    return p == null ? 0 : p.size();
  }

  /** Whether there is anything to draw. */
  public boolean available() {
    return patchSize > 0;
  }

  /** Bytes per patch (P), 0 when not available. */
  public int patchSize() {
    return patchSize;
  }

  /** Bytes known (prompt and generated). */
  public int bytes() {
    return labels.size();
  }

  /** A known byte as shown. */
  public String label(int position) {
    return labels.get(position);
  }

  /** Patches that hold a known byte. */
  public int patches() {
    return patchSize == 0 ? 0 : (labels.size() + patchSize - 1) / patchSize;
  }

  /** The bytes of a patch that are known, as one string. */
  public String text(int patch) {
    StringBuilder b = new StringBuilder();
    for (int i = patch * patchSize; i < Math.min(labels.size(), (patch + 1) * patchSize); i++) {
      b.append(labels.get(i));
    }
    return b.toString();
  }

  /** The patch of the next position to predict (the newest step's), or 0. */
  public int currentPatch() {
    return steps.isEmpty() || steps.getLast().patch() == null
        ? Math.max(0, labels.size() / Math.max(1, patchSize))
        : steps.getLast().patch().index();
  }

  /** Whether the global step that prepared a patch was recorded (in the prefill or a step). */
  public boolean globalRecorded(int patch) {
    return global(patch) != null;
  }

  /** Whether a patch's global step ran in the prefill (recorded or not). */
  public boolean globalInPrefill(int patch) {
    return patch >= 0 && patch < inPrefill.length && inPrefill[patch]
        || global(patch) == null && patch * patchSize <= labels.size() - stepsBytes();
  }

  private int stepsBytes() {
    return steps.size();
  }

  /** The time of a patch's global step in ms, NaN when it was not recorded. */
  public double globalMs(int patch) {
    Records.Patch p = global(patch);
    return p == null ? Double.NaN : p.globalUs() / 1e3;
  }

  /** The global step that prepared a patch, or null (the prefill's, or not reached). */
  Records.Patch global(int patch) {
    return patch >= 0 && patch < globalStep.length ? globalStep[patch] : null;
  }

  /** Layers of the global model, as its records have them (0 without global records). */
  public int globalLayers() {
    for (Records.Patch p : globalStep) {
      if (p != null && p.global() != null) {
        return p.global().size();
      }
    }
    return 0;
  }

  /** Layers of the local model with attention in the records (0 without full telemetry). */
  public int localLayers() {
    for (Records.Token t : steps) {
      if (t.patch() != null && t.patch().local() != null) {
        return t.patch().local().size();
      }
    }
    return 0;
  }

  /** The expert the global model chose first for a patch in a layer, or -1 (none recorded). */
  public int expert(int patch, int layer) {
    Records.Patch p = global(patch);
    if (p == null || p.global() == null || layer < 0 || layer >= p.global().size()) {
      return -1;
    }
    Records.TokenRouter r = p.global().get(layer).router();
    return r == null || r.experts().length == 0 ? -1 : r.experts()[0];
  }

  /**
   * What a patch is coloured by in a layer: the expert its global step chose first, or for a sparse
   * FF global model the unit chosen in block 0 (as the Decode tab colours tokens); -1 when none was
   * recorded.
   */
  public int route(int patch, int layer) {
    int e = expert(patch, layer);
    if (e >= 0) {
      return e;
    }
    Records.Patch p = global(patch);
    if (p == null || p.global() == null || layer < 0 || layer >= p.global().size()) {
      return -1;
    }
    Records.Controller c = p.global().get(layer).controller();
    return c == null || c.chosen().length == 0 ? -1 : c.chosen()[0];
  }

  /** "expert" or "unit" (what {@link #route} gives), "" when the global model does not route. */
  public String routeKind() {
    for (Records.Patch p : globalStep) {
      if (p != null && p.global() != null) {
        Records.TokenLayer l = p.global().getFirst();
        return l.router() != null ? "expert" : l.controller() != null ? "unit" : "";
      }
    }
    return "";
  }

  /** Whether the global model routes (experts or sparse FF units) in the records. */
  public boolean routed() {
    return !routeKind().isEmpty();
  }

  /**
   * The global model's attention in a layer, averaged over heads: row k is the global step of patch
   * k over global positions 0..k (position j reads patch j - 1, the pad at j = 0); NaN where
   * nothing was recorded. Square, one row and column per patch up to the newest global step.
   */
  public double[][] globalAttention(int layer) {
    int n = 0;
    for (int k = 0; k < globalStep.length; k++) {
      if (globalStep[k] != null) {
        n = k + 1;
      }
    }
    double[][] out = new double[n][n];
    for (double[] row : out) {
      Arrays.fill(row, Double.NaN);
    }
    for (int k = 0; k < n; k++) {
      Records.Patch p = globalStep[k];
      if (p == null || p.global() == null || layer >= p.global().size()) {
        continue;
      }
      Records.Attention a = p.global().get(layer).attention();
      if (a != null) {
        mean(a.heads(), out[k]);
      }
    }
    return out;
  }

  /**
   * The local model's attention inside a patch in a layer, averaged over heads: row i is the step
   * that prepared position i of the patch, over positions 0..i (position q reads the byte before
   * it, the pad at q = 0); P x P, NaN where nothing was recorded.
   */
  public double[][] localAttention(int patch, int layer) {
    double[][] out = new double[patchSize][patchSize];
    for (double[] row : out) {
      Arrays.fill(row, Double.NaN);
    }
    if (patch < 0 || patch >= localStep.length) {
      return out;
    }
    for (int i = 0; i < patchSize; i++) {
      Records.Patch p = localStep[patch][i];
      if (p == null || p.local() == null || layer >= p.local().size()) {
        continue;
      }
      Records.Attention a = p.local().get(layer);
      if (a != null) {
        mean(a.heads(), out[i]);
      }
    }
    return out;
  }

  /** What local position q of a patch reads: the pad at 0, else the byte before it. */
  public String localInput(int patch, int q) {
    int before = patch * patchSize + q - 1;
    return q == 0 ? "pad" : before < labels.size() ? labels.get(before) : "";
  }

  /** What global position j reads: the pad at 0, else patch j - 1's bytes. */
  public String globalInput(int j) {
    return j == 0 ? "pad" : text(j - 1);
  }

  private static void mean(float[][] heads, double[] into) {
    if (heads.length == 0) {
      return;
    }
    for (int j = 0; j < Math.min(into.length, heads[0].length); j++) {
      double s = 0;
      for (float[] h : heads) {
        s += h[j];
      }
      into[j] = s / heads.length;
    }
  }

  /** Steps recorded. */
  public int stepCount() {
    return steps.size();
  }

  /** A step as its readout names it: "step 3 ('x')". */
  public String stepLabel(int i) {
    Records.Token t = steps.get(i);
    return "step " + t.step() + " ('" + t.text() + "')";
  }

  /**
   * Time per step in each level: the global model's (0 where it did not run) and the local model's,
   * in microseconds, [2][steps].
   */
  public double[][] levelTimes() {
    double[][] out = new double[2][steps.size()];
    for (int i = 0; i < steps.size(); i++) {
      Records.Patch p = steps.get(i).patch();
      if (p != null) {
        out[0][i] = p.globalUs();
        out[1][i] = p.localUs();
      }
    }
    return out;
  }

  /**
   * One line on the two levels: how often the global model ran and what it cost then, the local
   * model's cost per byte, and each level's share of the time.
   */
  public String levelSummary() {
    int runs = 0;
    double global = 0;
    double local = 0;
    for (Records.Token t : steps) {
      Records.Patch p = t.patch();
      if (p == null) {
        continue;
      }
      if (p.globalRan()) {
        runs++;
        global += p.globalUs();
      }
      local += p.localUs();
    }
    if (steps.isEmpty()) {
      return "";
    }
    double total = global + local;
    return String.format(
        Locale.ROOT,
        "global model: ran at %d of %d steps (once per %d bytes), %.2f ms each time · local model:"
            + " every step, %.2f ms per byte · share of the time: global %.0f%%, local %.0f%%",
        runs,
        steps.size(),
        patchSize,
        runs == 0 ? 0 : global / runs / 1e3,
        local / steps.size() / 1e3,
        total == 0 ? 0 : 100 * global / total,
        total == 0 ? 0 : 100 * local / total);
  }
}
