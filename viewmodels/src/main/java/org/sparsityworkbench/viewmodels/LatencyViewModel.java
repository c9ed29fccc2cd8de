package org.sparsityworkbench.viewmodels;

import java.util.List;
import java.util.Locale;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;

/**
 * The Latency view's model: the time of every token in the window, its running mean, and the mean
 * time per component over the last {@link #RECENT} tokens, computed once per change of the window
 * (the view only draws them).
 */
public final class LatencyViewModel {
  /** The stacked bar averages this many of the newest tokens. */
  public static final int RECENT = 64;

  /** Weight of the past in the running mean. */
  public static final double MEAN_WEIGHT = 0.9;

  /**
   * The mean time per component over the recent tokens.
   *
   * @param meanUs per entry of {@link TokenSnapshot#COMPONENTS}, microseconds
   * @param stepUs the mean wall time of a step
   * @param otherUs the rest of a step (embedding, norms, output head): step minus the components
   * @param tokens how many tokens the means are over
   */
  public record Components(double[] meanUs, double stepUs, double otherUs, int tokens) {
    /** The share of a step of component k ({@code k == meanUs.length}: the rest). */
    public double share(int k) {
      return (k < meanUs.length ? meanUs[k] : otherUs) / Math.max(stepUs, 1e-9);
    }
  }

  private final ObservableList<TokenSnapshot> window;
  private final ReadOnlyStringProperty modelCost;
  private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("");
  private double[] runningMean = new double[0];
  private double maxUs;
  private Components components;

  LatencyViewModel(ObservableList<TokenSnapshot> window, ReadOnlyStringProperty modelCost) {
    this.window = window;
    this.modelCost = modelCost;
    window.addListener((ListChangeListener<TokenSnapshot>) c -> update());
    modelCost.subscribe(c -> update());
  }

  private void update() {
    int n = window.size();
    runningMean = new double[n];
    maxUs = 1e-9;
    double running = n == 0 ? 0 : window.getFirst().latencyUs();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double t = window.get(i).latencyUs();
      running = MEAN_WEIGHT * running + (1 - MEAN_WEIGHT) * t;
      runningMean[i] = running;
      maxUs = Math.max(maxUs, t);
      sum += t;
    }
    components = n == 0 ? null : components(window);
    summary.set(
        n == 0
            ? modelCost.get()
            : String.format(
                Locale.ROOT,
                "%d tokens · mean %.2f ms/token (%.0f tokens/s) · last %.2f ms · %s",
                n,
                sum / n / 1e3,
                1e6 * n / sum,
                window.getLast().latencyUs() / 1e3,
                modelCost.get()));
  }

  /** The mean per component over the last {@link #RECENT} of these tokens (none: null). */
  static Components components(List<TokenSnapshot> tokens) {
    if (tokens.isEmpty()) {
      return null;
    }
    int recent = Math.min(RECENT, tokens.size());
    double[] mean = new double[TokenSnapshot.COMPONENTS.size()];
    double step = 0;
    for (int i = tokens.size() - recent; i < tokens.size(); i++) {
      double[] c = tokens.get(i).componentUs();
      for (int k = 0; k < mean.length; k++) {
        mean[k] += c[k] / recent;
      }
      step += tokens.get(i).latencyUs() / recent;
    }
    double parts = 0;
    for (double m : mean) {
      parts += m > 0 ? m : 0;
    }
    return new Components(mean, step, Math.max(0, step - parts), recent);
  }

  /** The tokens drawn: the window, oldest first. */
  public ObservableList<TokenSnapshot> tokens() {
    return window;
  }

  /** Tokens, mean and last time per token, tokens/s, and the model's cost; its cost alone idle. */
  public ReadOnlyStringProperty summaryProperty() {
    return summary.getReadOnlyProperty();
  }

  /** FLOPs per token and active parameters of the model, one line. */
  public ReadOnlyStringProperty modelCostProperty() {
    return modelCost;
  }

  /** The running mean of the window's latencies (µs), one per token. */
  public double runningMeanUs(int i) {
    return runningMean[i];
  }

  /** The largest latency in the window (µs). */
  public double maxLatencyUs() {
    return maxUs;
  }

  /** The mean per component over the recent tokens; null with none. */
  public Components components() {
    return components;
  }

  /** What the latency line says of token i of the window. */
  public String readout(int i) {
    TokenSnapshot t = window.get(i);
    return String.format(
        Locale.ROOT,
        "token %d '%s' (position %d): %.2f ms · running mean %.2f ms",
        t.step(),
        t.label(),
        t.position(),
        t.latencyUs() / 1e3,
        runningMean[i] / 1e3);
  }

  /** The name of component k ({@code k == COMPONENTS.size()}: the rest of a step). */
  public static String componentName(int k) {
    return k < TokenSnapshot.COMPONENTS.size() ? TokenSnapshot.COMPONENTS.get(k) : "other";
  }

  /** What the stacked bar says of component k. */
  public String componentReadout(int k) {
    Components c = components;
    double mean = k < c.meanUs().length ? c.meanUs()[k] : c.otherUs();
    return String.format(
        Locale.ROOT,
        "%s: %.0f µs of a %.0f µs step (%.0f%%), mean of the last %d tokens",
        componentName(k),
        mean,
        c.stepUs(),
        100 * c.share(k),
        RECENT);
  }
}
