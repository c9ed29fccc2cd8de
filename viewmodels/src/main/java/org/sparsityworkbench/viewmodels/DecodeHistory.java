package org.sparsityworkbench.viewmodels;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * The decode shown, as plain records and what the views draw of them: the prompt's tokens, the
 * prefill, every decoded token, and the window of the newest {@link #HISTORY} tokens that keep
 * their attention. A live decode and an opened session feed it the same way ({@link #clear}, then
 * {@link #add} per record and {@link #commit} per frame), so every view works on both.
 *
 * <p>UI thread only; the views' listeners hear one change per frame.
 */
public final class DecodeHistory {
  /** The routing views keep the most recent tokens only. */
  public static final int HISTORY = 512;

  /**
   * The newest tokens that keep their full attention rows (the newest token's row view and the
   * JSONL export use them); the rest of the window keeps only their reduction ({@link
   * AttentionRows}).
   */
  public static final int FULL_ROWS = 32;

  private final StringBuilder text = new StringBuilder();
  private final List<Records.Record> records = new ArrayList<>();
  private final ObservableList<TokenSnapshot> window = FXCollections.observableArrayList();
  private final ObservableList<TokenSnapshot> windowView =
      FXCollections.unmodifiableObservableList(window);
  private final ObservableList<TokenSnapshot> tokens = FXCollections.observableArrayList();
  private final ObservableList<TokenSnapshot> tokensView =
      FXCollections.unmodifiableObservableList(tokens);
  private final List<String> promptLabels = new ArrayList<>();
  private final List<String> promptTexts = new ArrayList<>();
  private final List<TokenSnapshot> fresh = new ArrayList<>();
  private final ReadOnlyObjectWrapper<Records.Prefill> prefill = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyBooleanWrapper promptRouted = new ReadOnlyBooleanWrapper(false);
  private final ReadOnlyStringWrapper generatedText = new ReadOnlyStringWrapper("");
  private final ReadOnlyIntegerWrapper tokenCount = new ReadOnlyIntegerWrapper(0);
  private final ReadOnlyDoubleWrapper tokensPerSecond = new ReadOnlyDoubleWrapper(0);
  private long decodeNanos;
  private long updates;
  private Tokenizer tokenizer = org.sparsityworkbench.engine.tokenizer.ByteTokenizer.INSTANCE;

  /**
   * Forgets the decode and starts another's prompt, labelled by this tokenizer. The prompt's texts
   * and labels are in place before the token lists change, so views repainting on that change see a
   * consistent state.
   *
   * @param texts the prompt's texts as recorded, or null to decode them here
   */
  void clear(int[] ids, String[] texts, Tokenizer tok) {
    tokenizer = tok;
    promptLabels.clear();
    promptTexts.clear();
    Tokenizer.Stream decoder = tok.newStream();
    for (int i = 0; i < ids.length; i++) {
      promptLabels.add(tok.label(ids[i]));
      promptTexts.add(texts != null && i < texts.length ? texts[i] : decoder.push(ids[i]));
    }
    text.setLength(0);
    generatedText.set("");
    records.clear();
    fresh.clear();
    tokenCount.set(0);
    decodeNanos = 0;
    prefill.set(null);
    promptRouted.set(false);
    window.clear();
    tokens.clear();
    tokensPerSecond.set(0);
  }

  /**
   * Takes one record in; a token waits until {@link #commit()} shows the frame's tokens at once.
   */
  void add(Records.Record r) {
    switch (r) {
      case Records.Prefill p -> {
        records.add(p);
        prefill.set(p);
        promptRouted.set(true);
      }
      case Records.Token tok -> {
        text.append(tok.text());
        decodeNanos += (long) (tok.latencyUs() * 1e3);
        tokenCount.set(tokenCount.get() + 1);
        TokenSnapshot snapshot = TokenSnapshot.of(tok, tokenizer);
        fresh.add(snapshot);
        records.add(snapshot.record()); // its attention rows are in the snapshot
      }
      case Records.End end -> records.add(end);
    }
  }

  /**
   * Shows the tokens added since the last call: one change per list (listeners repaint on each),
   * appending, or replacing the whole window when the oldest fall out of it.
   *
   * @return true when there were new tokens
   */
  boolean commit() {
    generatedText.set(text.toString());
    if (decodeNanos > 0) {
      tokensPerSecond.set(tokenCount.get() / (decodeNanos / 1e9));
    }
    if (fresh.isEmpty()) {
      return false;
    }
    int overflow = window.size() + fresh.size() - HISTORY;
    if (overflow > 0) {
      List<TokenSnapshot> next = new ArrayList<>(HISTORY);
      next.addAll(window.subList(Math.min(overflow, window.size()), window.size()));
      next.addAll(fresh.subList(Math.max(0, fresh.size() - HISTORY), fresh.size()));
      // What leaves the window keeps what the other views draw, not its attention rows.
      window.subList(0, Math.min(overflow, window.size())).forEach(TokenSnapshot::releaseAttention);
      fresh
          .subList(0, Math.max(0, fresh.size() - HISTORY))
          .forEach(TokenSnapshot::releaseAttention);
      window.setAll(next);
    } else {
      window.addAll(fresh);
    }
    // Full attention rows for the newest tokens only; the window keeps their reduction.
    for (int i = Math.max(0, window.size() - FULL_ROWS - fresh.size());
        i < window.size() - FULL_ROWS;
        i++) {
      window.get(i).releaseFullAttention();
    }
    tokens.addAll(fresh);
    fresh.clear();
    updates++;
    return true;
  }

  /** The records so far, with the attention rows that are kept (the {@link #FULL_ROWS} newest). */
  public List<Records.Record> records() {
    List<Records.Record> out = new ArrayList<>(records.size());
    int firstInWindow = window.isEmpty() ? Integer.MAX_VALUE : window.getFirst().step();
    for (Records.Record r : records) {
      if (r instanceof Records.Token t
          && t.step() >= firstInWindow
          && t.step() - firstInWindow < window.size()) {
        r = window.get(t.step() - firstInWindow).fullRecord();
      }
      out.add(r);
    }
    return out;
  }

  /** The records as they were taken in, without restoring attention rows. */
  List<Records.Record> rawRecords() {
    return Collections.unmodifiableList(records);
  }

  /**
   * How many attention weights are held (distinct full rows reachable from the token lists, the
   * window and the records, plus the floats of the window's {@link AttentionRows}): what grows with
   * the square of the length if kept for every token. For tests and benchmarks.
   *
   * @param also a token held elsewhere (the one inspected), or null
   */
  long retainedAttentionFloats(TokenSnapshot also) {
    Set<float[]> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<TokenSnapshot> all = new ArrayList<>(tokens);
    all.addAll(window);
    if (also != null) {
      all.add(also);
    }
    List<Records.Record> held = new ArrayList<>(records);
    for (TokenSnapshot t : all) {
      held.add(t.record());
      if (t.attention() != null) {
        for (float[][] layer : t.attention()) {
          seen.addAll(java.util.Arrays.asList(layer));
        }
      }
    }
    for (Records.Record r : held) {
      if (r instanceof Records.Token t && t.layers() != null) {
        for (Records.TokenLayer l : t.layers()) {
          if (l.attention() != null) {
            seen.addAll(java.util.Arrays.asList(l.attention().heads()));
          }
        }
      }
    }
    long n = 0;
    for (float[] a : seen) {
      n += a.length;
    }
    Set<AttentionRows> reduced = Collections.newSetFromMap(new IdentityHashMap<>());
    for (TokenSnapshot t : all) {
      if (t.attentionRows() != null) {
        reduced.add(t.attentionRows());
      }
    }
    for (AttentionRows r : reduced) {
      n += r.floats();
    }
    return n;
  }

  /**
   * The token at a position of the context as shown on its own: a prompt token or a decoded one; ""
   * beyond the context decoded so far.
   */
  public String labelAt(int position) {
    if (position >= 0 && position < promptLabels.size()) {
      return promptLabels.get(position);
    }
    TokenSnapshot t = tokenAt(position);
    return t == null ? "" : t.label();
  }

  /** The prompt token's label at a prompt position. */
  String promptLabel(int position) {
    return promptLabels.get(position);
  }

  /** The number of prompt positions of the decode. */
  public int promptLength() {
    return promptTexts.size();
  }

  /** The number of positions decoded so far (prompt and generated tokens). */
  public int contextLength() {
    return promptTexts.size() + tokens.size();
  }

  /**
   * The text a position adds to the context: a prompt character or a decoded token's text; "" for a
   * byte inside a multi-byte character (the character appears on its last byte).
   */
  public String textAt(int position) {
    if (position < promptTexts.size()) {
      return position < 0 ? "" : promptTexts.get(position);
    }
    TokenSnapshot t = tokenAt(position);
    return t == null ? "" : t.text();
  }

  /** The decoded token at a position; null for prompt positions and positions not decoded yet. */
  public TokenSnapshot tokenAt(int position) {
    int i = position - promptTexts.size();
    return i >= 0 && i < tokens.size() ? tokens.get(i) : null;
  }

  /**
   * What colours a position in a layer: the top-1 expert (MoE) or the unit chosen by the
   * controller's first block (sparse FF), for prompt positions from the prefill; -1 when there is
   * no routing.
   */
  public int routeKeyAt(int position, int layer) {
    if (position < promptTexts.size()) {
      Records.Prefill p = prefill.get();
      if (position < 0 || p == null || p.layers() == null || layer >= p.layers().size()) {
        return -1;
      }
      Records.PrefillLayer pl = p.layers().get(layer);
      if (pl.router() != null && position < pl.router().experts().length) {
        int[] ex = pl.router().experts()[position];
        return ex.length == 0 ? -1 : ex[0];
      }
      if (pl.controller() != null && position < pl.controller().chosen().length) {
        int[] units = pl.controller().chosen()[position];
        return units.length == 0 ? -1 : units[0];
      }
      return -1;
    }
    TokenSnapshot t = tokenAt(position);
    return t == null ? -1 : t.routeKey(layer);
  }

  /**
   * Every token of the decode, oldest first; updated once per frame. Only the tokens in the window
   * ({@link #window()}) keep their attention rows.
   */
  public ObservableList<TokenSnapshot> tokens() {
    return tokensView;
  }

  /** The most recent decoded tokens (at most {@link #HISTORY}), oldest first, once per frame. */
  public ObservableList<TokenSnapshot> window() {
    return windowView;
  }

  /** The decode's prefill record (routing, capacity, drops of every prompt token). */
  public ReadOnlyObjectProperty<Records.Prefill> prefillProperty() {
    return prefill.getReadOnlyProperty();
  }

  /** True once the prompt's routing (the prefill record) has arrived. */
  public ReadOnlyBooleanProperty promptRoutedProperty() {
    return promptRouted.getReadOnlyProperty();
  }

  /** The text generated so far. */
  public ReadOnlyStringProperty generatedTextProperty() {
    return generatedText.getReadOnlyProperty();
  }

  public ReadOnlyIntegerProperty tokenCountProperty() {
    return tokenCount.getReadOnlyProperty();
  }

  /** Tokens per second of step time (the records' latencies). */
  public ReadOnlyDoubleProperty tokensPerSecondProperty() {
    return tokensPerSecond.getReadOnlyProperty();
  }

  /** How many frames brought new tokens to the views (each one repaints them). */
  public long updateCount() {
    return updates;
  }
}
