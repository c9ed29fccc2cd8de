package org.sparsityworkbench.viewmodels;

import java.util.List;
import java.util.Locale;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * What one decoded token did, as the views draw it: its routing in every layer, its controller
 * choices and module activity, its attention and its latency. Copied out of a telemetry record
 * once, on the UI thread; arrays are shared, never modified.
 *
 * @param record the telemetry record (top next-token probabilities, everything) without its
 *     attention rows, which are in {@code rows} ({@link #fullRecord()} puts them back)
 * @param label the token as shown on its own (printable byte or {@code <0xNN>})
 * @param probs [layer][expert] router probabilities (MoE, full telemetry), else null
 * @param experts [layer][k] chosen experts (MoE), else null
 * @param gates [layer][k] gate weights of the chosen experts (MoE), else null
 * @param entropy [layer] router entropy in nats (MoE), else null
 * @param blockSize units per controller block (sparse FF), else 0
 * @param chosen [layer][block] chosen unit of every block (sparse FF), else null
 * @param confidence [layer][block] probability of the chosen unit within its block, else null
 * @param qkv [layer][module] sparse QKV module activity (RMS of each module's output), else null
 * @param rows the token's attention (full telemetry), else null: its full rows and their reduction,
 *     which the view model keeps only while the token is among the newest (see {@link Rows})
 * @param latencyUs wall time of the step
 * @param componentUs time summed over layers: attention, router, feed-forward, controller; for a
 *     Megabyte step the time in its global and its local model instead
 */
public record TokenSnapshot(
    Records.Token record,
    String label,
    float[][] probs,
    int[][] experts,
    float[][] gates,
    double[] entropy,
    int blockSize,
    int[][] chosen,
    float[][] confidence,
    float[][] qkv,
    Rows rows,
    double latencyUs,
    double[] componentUs) {

  /** Names of {@link #componentUs} entries. */
  public static final List<String> COMPONENTS =
      List.of("attention", "router", "feed-forward", "controller", "global model", "local model");

  /** Extracts a token record (full telemetry gives the probabilities and attention). */
  public static TokenSnapshot of(Records.Token t) {
    return of(t, org.sparsityworkbench.engine.tokenizer.ByteTokenizer.INSTANCE);
  }

  /** Extracts a token record, its label from the model's tokenizer. */
  public static TokenSnapshot of(
      Records.Token t, org.sparsityworkbench.engine.tokenizer.Tokenizer tokenizer) {
    String label = tokenizer.label(t.token());
    List<Records.TokenLayer> layers = t.layers();
    double[] parts = new double[COMPONENTS.size()];
    if (t.patch() != null) {
      parts[4] = t.patch().globalUs();
      parts[5] = t.patch().localUs();
    }
    if (layers == null || layers.isEmpty()) {
      return new TokenSnapshot(
          t, label, null, null, null, null, 0, null, null, null, null, t.latencyUs(), parts);
    }
    int n = layers.size();
    Records.TokenLayer first = layers.getFirst();
    boolean moe = first.router() != null;
    boolean ff = first.controller() != null;
    boolean att = first.attention() != null;
    boolean qkvOn = first.qkv() != null;
    boolean withProbs = moe && first.router().probs() != null;
    float[][] probs = withProbs ? new float[n][] : null;
    int[][] experts = moe ? new int[n][] : null;
    float[][] gates = moe ? new float[n][] : null;
    double[] entropy = moe ? new double[n] : null;
    int[][] chosen = ff ? new int[n][] : null;
    float[][] confidence = ff ? new float[n][] : null;
    float[][] qkv = qkvOn ? new float[n][] : null;
    float[][][] attention = att ? new float[n][][] : null;
    List<Records.TokenLayer> bare = att ? new java.util.ArrayList<>(n) : layers;
    for (int i = 0; i < n; i++) {
      Records.TokenLayer l = layers.get(i);
      if (moe) {
        if (withProbs) {
          probs[i] = l.router().probs();
        }
        experts[i] = l.router().experts();
        gates[i] = l.router().weights();
        entropy[i] = l.router().entropy();
      }
      if (ff) {
        chosen[i] = l.controller().chosen();
        confidence[i] = l.controller().confidence();
      }
      if (qkvOn) {
        qkv[i] = l.qkv().modules();
      }
      if (att) {
        attention[i] = l.attention().heads();
        bare.add(withAttention(l, null));
      }
      Records.Timing timing = l.timingUs();
      parts[0] += timing.attention();
      parts[1] += timing.router() == null ? 0 : timing.router();
      parts[2] += timing.ffn();
      parts[3] += timing.controller() == null ? 0 : timing.controller();
    }
    return new TokenSnapshot(
        att ? withLayers(t, bare) : t,
        label,
        probs,
        experts,
        gates,
        entropy,
        ff ? first.controller().blockSize() : 0,
        chosen,
        confidence,
        qkv,
        att ? new Rows(attention) : null,
        t.latencyUs(),
        parts);
  }

  /**
   * The attention of a token, held by the view model while the token is in the window that the
   * attention views draw: its full rows [layer][head][position] while it is among the {@code
   * MainViewModel.FULL_ROWS} newest tokens, and their reduction ({@link AttentionRows}) while it is
   * in the window. A row has position+1 weights per head and layer, so keeping every token's full
   * rows grows with the square of the length. Touched on the UI thread only.
   */
  public static final class Rows {
    private float[][][] full;
    private AttentionRows reduced;

    Rows(float[][][] rows) {
      this.full = rows;
      this.reduced = AttentionRows.of(rows);
    }

    /** The full rows, or null once released. */
    public float[][][] get() {
      return full;
    }

    /** The reduced rows, or null once released. */
    public AttentionRows reduced() {
      return reduced;
    }

    /** Lets the full rows go, keeping their reduction. */
    void releaseFull() {
      full = null;
    }

    /** Lets the rows go. */
    void release() {
      full = null;
      reduced = null;
    }
  }

  /**
   * Attention of the token: [layer][head][position] (full telemetry), null without it or once the
   * token is no longer among the newest ones whose full rows the view model keeps (see {@link
   * Rows}).
   */
  public float[][][] attention() {
    return rows == null ? null : rows.get();
  }

  /**
   * The token's attention reduced to what the views draw, null without attention telemetry or after
   * the token has left the view model's window (see {@link Rows}).
   */
  public AttentionRows attentionRows() {
    return rows == null ? null : rows.reduced();
  }

  /** Lets the full attention rows go, keeping their reduction. */
  void releaseFullAttention() {
    if (rows != null) {
      rows.releaseFull();
    }
  }

  /** Lets the attention rows go (the token has left the window). */
  void releaseAttention() {
    if (rows != null) {
      rows.release();
    }
  }

  /**
   * The telemetry record as the engine sent it: {@link #record()} with the attention rows, while
   * they are kept.
   */
  public Records.Token fullRecord() {
    float[][][] a = attention();
    if (a == null) {
      return record;
    }
    List<Records.TokenLayer> layers = new java.util.ArrayList<>(record.layers().size());
    for (Records.TokenLayer l : record.layers()) {
      layers.add(withAttention(l, new Records.Attention(a[l.index()])));
    }
    return withLayers(record, layers);
  }

  private static Records.TokenLayer withAttention(Records.TokenLayer l, Records.Attention a) {
    return new Records.TokenLayer(
        l.index(), a, l.router(), l.controller(), l.qkv(), l.timingUs(), l.lens());
  }

  private static Records.Token withLayers(Records.Token t, List<Records.TokenLayer> layers) {
    return new Records.Token(
        t.type(),
        t.step(),
        t.position(),
        t.token(),
        t.text(),
        t.top(),
        t.latencyUs(),
        layers,
        t.interventions(),
        t.patch());
  }

  /**
   * The logit lens after a layer: the most probable next token read from the residual stream after
   * it, or null when the decode had the lens off.
   */
  public String lensToken(int layer) {
    Records.TopToken t = lensTop(layer);
    return t == null ? null : t.text();
  }

  /** The probability of {@link #lensToken}, NaN when there is none. */
  public double lensProbability(int layer) {
    Records.TopToken t = lensTop(layer);
    return t == null ? Double.NaN : t.p();
  }

  /** The model's own most probable next token (its final distribution), or null. */
  public String nextToken() {
    return record.top() == null || record.top().isEmpty() ? null : record.top().getFirst().text();
  }

  /** True when the decode had the logit lens on. */
  public boolean hasLens() {
    return record.layers() != null
        && !record.layers().isEmpty()
        && record.layers().getFirst().lens() != null;
  }

  private Records.TopToken lensTop(int layer) {
    if (record.layers() == null || layer < 0 || layer >= record.layers().size()) {
      return null;
    }
    List<Records.TopToken> lens = record.layers().get(layer).lens();
    return lens == null || lens.isEmpty() ? null : lens.getFirst();
  }

  /** The decode step that produced the token (0 for the first generated token). */
  public int step() {
    return record.step();
  }

  /** The position the token was appended at (prompt length + step). */
  public int position() {
    return record.position();
  }

  /** The text this token completes (empty inside a multi-byte character). */
  public String text() {
    return record.text();
  }

  /** Layers with telemetry, 0 for a summary without layers. */
  public int layers() {
    return record.layers() == null ? 0 : record.layers().size();
  }

  /**
   * What colours the token in the decode view for a layer: the top expert (MoE), the unit that the
   * controller's first block chose (sparse FF: one of N, like an expert), or -1 (dense).
   */
  public int routeKey(int layer) {
    if (layer < 0 || layer >= layers()) {
      return -1;
    }
    if (experts != null) {
      return experts[layer].length == 0 ? -1 : experts[layer][0];
    }
    if (chosen != null) {
      return chosen[layer].length == 0 ? -1 : chosen[layer][0];
    }
    return -1;
  }

  /**
   * The full record as text, for the decode view's token details: step, position, latency, the top
   * next-token probabilities, and per layer the route, controller and module activity.
   */
  public String details() {
    Records.Token t = record;
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "'%s' (token %d) · step %d · position %d · %.2f ms%n",
            label,
            t.token(),
            t.step(),
            t.position(),
            latencyUs / 1e3));
    if (t.top() != null && !t.top().isEmpty()) {
      b.append("next token:");
      for (Records.TopToken top : t.top()) {
        b.append(String.format(Locale.ROOT, "  '%s' %.3f", top.text(), top.p()));
      }
      b.append('\n');
    }
    for (int l = 0; l < layers(); l++) {
      b.append('L').append(l).append(':');
      if (experts != null) {
        for (int j = 0; j < experts[l].length; j++) {
          b.append(String.format(Locale.ROOT, " e%d (gate %.2f)", experts[l][j], gates[l][j]));
        }
        b.append(String.format(Locale.ROOT, " · entropy %.2f nats", entropy[l]));
        if (probs != null) {
          b.append(" · p =");
          for (float p : probs[l]) {
            b.append(String.format(Locale.ROOT, " %.2f", p));
          }
        }
      }
      if (chosen != null) {
        double meanConfidence = 0;
        for (float c : confidence[l]) {
          meanConfidence += c / confidence[l].length;
        }
        b.append(" units");
        for (int u : chosen[l]) {
          b.append(' ').append(u);
        }
        b.append(String.format(Locale.ROOT, " (of %d per block)", blockSize))
            .append(String.format(Locale.ROOT, " · mean confidence %.2f", meanConfidence));
      }
      if (qkv != null) {
        b.append(experts == null && chosen == null ? " QKV modules" : " · QKV modules");
        for (float m : qkv[l]) {
          b.append(String.format(Locale.ROOT, " %.2f", m));
        }
      }
      if (experts == null && chosen == null && qkv == null) {
        b.append(" dense feed-forward (every unit)");
      }
      String lens = lensToken(l);
      if (lens != null) {
        b.append(String.format(Locale.ROOT, " · lens '%s' %.2f", lens, lensProbability(l)));
      }
      b.append(
          String.format(
              Locale.ROOT,
              " · attention %.0f µs, feed-forward %.0f µs%n",
              t.layers().get(l).timingUs().attention(),
              t.layers().get(l).timingUs().ffn()));
    }
    return b.toString().stripTrailing();
  }
}
