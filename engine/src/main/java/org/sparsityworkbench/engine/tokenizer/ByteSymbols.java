package org.sparsityworkbench.engine.tokenizer;

/**
 * GPT-2's byte-level alphabet: every byte as one printable character (printable Latin-1 stand for
 * themselves, the other 68 bytes for U+0100 upwards in order), used by byte-level BPE vocabularies.
 */
public final class ByteSymbols {
  private static final int[] BYTE_OF = new int[512];
  private static final int[] SYMBOL_OF = new int[256];

  static {
    java.util.Arrays.fill(BYTE_OF, -1);
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      int cp = printable ? b : next++;
      BYTE_OF[cp] = b;
      SYMBOL_OF[b] = cp;
    }
  }

  private ByteSymbols() {}

  /** The symbol that stands for a byte. */
  public static String symbolOf(int b) {
    return new String(Character.toChars(SYMBOL_OF[b & 0xff]));
  }

  /** The byte a symbol stands for, or the code point's low byte when it is none. */
  static int byteOf(int codePoint) {
    if (codePoint >= 0 && codePoint < BYTE_OF.length && BYTE_OF[codePoint] >= 0) {
      return BYTE_OF[codePoint];
    }
    return codePoint & 0xff;
  }
}
