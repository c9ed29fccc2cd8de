package org.sparsityworkbench.viewmodels;

import java.util.Locale;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * The Decode tab's token stream and its details panel: every position of the context (prompt and
 * decoded tokens) with its text and route key, the position the mouse points at, and the full
 * record of the inspected token, or of the newest one, as text.
 *
 * <p>The details of the newest token change at most every {@link #DETAILS_PERIOD_NANOS} while
 * decoding (text to read, not to watch flicker), and at every token when the decode is held. UI
 * thread.
 */
public final class TokenStreamViewModel {
  /** The newest token's details change at most this often while decoding. */
  static final long DETAILS_PERIOD_NANOS = 250_000_000L;

  private final DecodeHistory history;
  private final ShownModel shown;
  private final ObjectProperty<TokenSnapshot> inspected = new SimpleObjectProperty<>();
  private final IntegerProperty inspectedPrompt = new SimpleIntegerProperty(-1);
  private final ReadOnlyStringWrapper details = new ReadOnlyStringWrapper("");
  private long detailsShown;

  /** True when the newest token's details lag behind the tokens shown (a throttled update). */
  private boolean detailsStale;

  TokenStreamViewModel(DecodeHistory history, ShownModel shown) {
    this.history = history;
    this.shown = shown;
    inspected.subscribe(t -> showDetails());
    inspectedPrompt.subscribe(p -> showDetails());
  }

  /**
   * Points at a position of the context, as the mouse over the token stream does: a decoded token
   * or a prompt token has its record shown in the details; -1 points at nothing.
   */
  public void inspectPosition(int position) {
    TokenSnapshot t = history.tokenAt(position);
    inspected.set(t);
    inspectedPrompt.set(
        t == null && position >= 0 && position < history.promptLength() ? position : -1);
  }

  // --- fed by the main view model -------------------------------------------------------------

  /** A new decode's prompt is shown: nothing is inspected. */
  void cleared() {
    inspected.set(null);
    inspectedPrompt.set(-1);
    detailsStale = false;
    showDetails();
  }

  /**
   * New tokens are shown: the newest token's details follow, at most every {@link
   * #DETAILS_PERIOD_NANOS} unless the decode has ended or is held.
   */
  void committed(boolean finished, boolean held) {
    long now = System.nanoTime();
    if (inspected.get() == null
        && (now - detailsShown >= DETAILS_PERIOD_NANOS || finished || held)) {
      detailsShown = now;
      detailsStale = false;
      showDetails();
    } else {
      detailsStale = inspected.get() == null;
    }
  }

  /** A frame with no news: the details catch up with the tokens if they lag. */
  void quiet() {
    if (detailsStale && System.nanoTime() - detailsShown >= DETAILS_PERIOD_NANOS) {
      detailsShown = System.nanoTime(); // the last tokens before a pause or a quiet spell
      detailsStale = false;
      showDetails();
    }
  }

  /** The decode has ended: the newest token's details are shown now. */
  void ended() {
    if (inspected.get() == null) {
      detailsStale = false;
      showDetails();
    }
  }

  /** True when the details lag behind the tokens (the next quiet frame updates them). */
  boolean stale() {
    return detailsStale;
  }

  /** The details panel shows the inspected token, or the newest one when none is inspected. */
  private void showDetails() {
    int promptPosition = inspectedPrompt.get();
    if (inspected.get() == null && promptPosition >= 0 && promptPosition < history.promptLength()) {
      details.set(promptDetails(promptPosition));
      return;
    }
    TokenSnapshot t =
        inspected.get() != null
            ? inspected.get()
            : history.tokens().isEmpty() ? null : history.tokens().getLast();
    details.set(
        t == null
            ? "Hover a token to see its full record: next-token probabilities, route in every"
                + " layer, timing."
            : (inspected.get() == null ? "Newest token · " : "Hovered token · ") + t.details());
  }

  /**
   * A prompt token's record: its byte and position, and per layer its routing in the prompt's
   * forward pass (experts and whether capacity kept them, or the controller's units).
   */
  private String promptDetails(int position) {
    StringBuilder b = new StringBuilder("Prompt token · ");
    b.append(
        String.format(Locale.ROOT, "'%s' · position %d", history.promptLabel(position), position));
    Records.Prefill p = history.prefillProperty().get();
    if (p == null) {
      return b.append("\n(the prompt's pass has not reported yet)").toString();
    }
    if (p.layers() == null) {
      return b.append("\ndense: no routing in any layer").toString();
    }
    for (Records.PrefillLayer l : p.layers()) {
      b.append("\nL").append(l.index()).append(':');
      Records.PrefillRouter r = l.router();
      if (r != null && position < r.experts().length) {
        int[] ex = r.experts()[position];
        for (int j = 0; j < ex.length; j++) {
          boolean kept = r.kept() == null || r.kept()[position][j];
          b.append(j == 0 ? " " : " + ").append('e').append(ex[j]);
          if (r.probs() != null) {
            b.append(String.format(Locale.ROOT, " (p %.2f)", r.probs()[position][ex[j]]));
          }
          b.append(kept ? "" : " dropped (over capacity)");
        }
      }
      if (l.controller() != null && position < l.controller().chosen().length) {
        b.append(" units");
        for (int u : l.controller().chosen()[position]) {
          b.append(' ').append(u);
        }
        b.append(String.format(Locale.ROOT, " (of %d per block)", l.controller().blockSize()));
      }
    }
    return b.toString();
  }

  // --- what the stream draws ------------------------------------------------------------------

  /** The model shown: its route keys, colour layer and legend. */
  public ShownModel shown() {
    return shown;
  }

  /** Every token of the current decode, oldest first; updated once per frame. */
  public ObservableList<TokenSnapshot> tokens() {
    return history.tokens();
  }

  /** The token the user points at (null: none; the details show the newest token). */
  public ObjectProperty<TokenSnapshot> inspectedProperty() {
    return inspected;
  }

  /** The prompt position pointed at, -1 for none. */
  public ReadOnlyIntegerProperty inspectedPromptProperty() {
    return ReadOnlyIntegerProperty.readOnlyIntegerProperty(inspectedPrompt);
  }

  /** The full record of the inspected or newest token, as text. */
  public ReadOnlyStringProperty tokenDetailsProperty() {
    return details.getReadOnlyProperty();
  }

  /** True once the prompt's routing (the prefill record) of the current decode has arrived. */
  public ReadOnlyBooleanProperty promptRoutedProperty() {
    return history.promptRoutedProperty();
  }

  /** The number of positions decoded so far (prompt and generated tokens). */
  public int contextLength() {
    return history.contextLength();
  }

  /** The number of prompt positions of the current decode. */
  public int promptLength() {
    return history.promptLength();
  }

  /**
   * The text a position adds to the context: a prompt character or a decoded token's text; "" for a
   * byte inside a multi-byte character (the character appears on its last byte).
   */
  public String textAt(int position) {
    return history.textAt(position);
  }

  /** The decoded token at a position; null for prompt positions and positions not decoded yet. */
  public TokenSnapshot tokenAt(int position) {
    return history.tokenAt(position);
  }

  /**
   * What colours a position in a layer: the top-1 expert (MoE) or the unit chosen by the
   * controller's first block (sparse FF), for prompt positions from the prefill; -1 when there is
   * no routing.
   */
  public int routeKeyAt(int position, int layer) {
    return history.routeKeyAt(position, layer);
  }
}
