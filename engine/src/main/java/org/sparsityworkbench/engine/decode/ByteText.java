package org.sparsityworkbench.engine.decode;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of byte tokens into text. A byte that completes a UTF-8 character yields it; a
 * byte inside a multi-byte character yields "" until the character completes; an invalid sequence
 * yields U+FFFD. Concatenating the outputs gives the decoded text.
 */
public final class ByteText {
  private final byte[] pending = new byte[4];
  private int have;
  private int need;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** Text completed by this byte (0..255). */
  public String push(int b) {
    if (have > 0) {
      if ((b & 0xC0) == 0x80) {
        pending[have++] = (byte) b;
        if (have < need) {
          return "";
        }
        String s = decode();
        have = 0;
        return s;
      }
      have = 0; // the pending character was cut short
      return "\uFFFD" + push(b);
    }
    if (b < 0x80) {
      return String.valueOf((char) b);
    }
    need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
    if (need == 0) {
      return "\uFFFD";
    }
    pending[0] = (byte) b;
    have = 1;
    return "";
  }

  private String decode() {
    try {
      CharBuffer c = decoder.decode(ByteBuffer.wrap(pending, 0, have));
      return c.toString();
    } catch (CharacterCodingException e) {
      return "\uFFFD";
    }
  }

  /**
   * How one byte is shown on its own: printable ASCII as itself, newline and tab as the escapes
   * {@code \n} and {@code \t} (visible in a list), others as {@code <0xNN>}.
   */
  public static String label(int b) {
    if (b == '\n') {
      return "\\n";
    }
    if (b == '\t') {
      return "\\t";
    }
    if (b >= 0x20 && b < 0x7F) {
      return String.valueOf((char) b);
    }
    return String.format("<0x%02X>", b);
  }
}
