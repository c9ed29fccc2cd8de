package org.sparsityworkbench.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import org.sparsityworkbench.engine.decode.ByteText;

/** The native families' tokenizer: one token per UTF-8 byte, ids 0..255, no special tokens. */
public final class ByteTokenizer implements Tokenizer {
  /** The one instance (it has no state). */
  public static final ByteTokenizer INSTANCE = new ByteTokenizer();

  private ByteTokenizer() {}

  @Override
  public int[] encode(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = b[i] & 0xff;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder s = new StringBuilder();
    Stream stream = newStream();
    for (int id : ids) {
      s.append(stream.push(id));
    }
    return s.toString();
  }

  @Override
  public String label(int id) {
    return ByteText.label(id);
  }

  @Override
  public String vocabularyId() {
    return "bytes";
  }

  @Override
  public int vocabularySize() {
    return 256;
  }

  @Override
  public Stream newStream() {
    return new ByteText()::push;
  }
}
