package org.sparsityworkbench.engine.tokenizer;

/**
 * Text to token ids and back. The only place that knows what a token is: the decode session,
 * telemetry, sampler, compare, training, view models and views see ids and the texts given here.
 */
public interface Tokenizer extends AutoCloseable {
  /** The ids of a text, with the special tokens the tokenizer adds (e.g. a beginning token). */
  int[] encode(String text);

  /** The text of a sequence of ids (special tokens left out). */
  String decode(int[] ids);

  /**
   * How one token is shown on its own, in a list or a token box: whitespace and control characters
   * visible ({@code \n}, {@code \t}), and a token that is only part of a UTF-8 character as its
   * bytes ({@code <0xE2>}).
   */
  String label(int id);

  /** Number of ids: every id is in 0..size-1. */
  int vocabularySize();

  /**
   * Names the vocabulary: two tokenizers with the same id read text the same way (compare and
   * teacher forcing need that).
   */
  String vocabularyId();

  /** A decoder of one generated stream, correct across tokens that split a UTF-8 character. */
  Stream newStream();

  /** Turns generated ids into text as they arrive. */
  interface Stream {
    /**
     * The text this id completes: "" while it ends inside a character, which the next id completes.
     * Concatenating the outputs gives {@link #decode} of all ids pushed.
     */
    String push(int id);
  }

  @Override
  default void close() {}

  /** A visible form of whitespace and control characters for a one-token label. */
  static String visible(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("<0x%02X>", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
