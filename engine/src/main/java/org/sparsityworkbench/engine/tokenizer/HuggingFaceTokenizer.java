package org.sparsityworkbench.engine.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.sparsityworkbench.engine.config.ModelFormatException;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's binding of the Rust {@code tokenizers}
 * library (its jar carries the native library; with {@code ai.djl.offline=true} nothing is
 * downloaded). It is always loaded from the local file, never by hub name, with truncation and
 * padding off.
 *
 * <p>The file is parsed here first, so that a corrupt file is an error naming it rather than a
 * native failure, and for the vocabulary (id to piece) that the binding does not expose.
 */
public final class HuggingFaceTokenizer implements Tokenizer {
  private final ai.djl.huggingface.tokenizers.HuggingFaceTokenizer native_;
  private final String[] pieces;
  private final String[] labels;
  private final Path file;

  private HuggingFaceTokenizer(
      ai.djl.huggingface.tokenizers.HuggingFaceTokenizer t, String[] pieces, Path file) {
    this.native_ = t;
    this.pieces = pieces;
    this.labels = new String[pieces.length];
    this.file = file;
  }

  /**
   * Loads {@code tokenizer.json}.
   *
   * @throws ModelFormatException naming the file when it is missing, not JSON, or has no vocabulary
   */
  public static HuggingFaceTokenizer load(Path file) throws ModelFormatException {
    if (!Files.isRegularFile(file)) {
      throw new ModelFormatException(file + ": missing (a Hugging Face model needs its tokenizer)");
    }
    String[] pieces;
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new ModelFormatException(file + ": not a tokenizer (expected a JSON object)");
      }
      pieces = vocabulary(e.getAsJsonObject(), file);
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(file + ": not valid JSON (" + e.getMessage() + ")", e);
    }
    try {
      var t =
          ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optTruncation(false)
              .optPadding(false)
              .optAddSpecialTokens(true)
              .build();
      return new HuggingFaceTokenizer(t, pieces, file);
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException(
          file + ": the tokenizers library cannot read it (" + e.getMessage() + ")", e);
    }
  }

  /** id -> piece from {@code model.vocab} (a map, or Unigram's list) and {@code added_tokens}. */
  private static String[] vocabulary(JsonObject o, Path file) throws ModelFormatException {
    if (!o.has("model") || !o.get("model").isJsonObject()) {
      throw new ModelFormatException(file + ": no 'model' object (not a tokenizer.json)");
    }
    JsonElement vocab = o.getAsJsonObject("model").get("vocab");
    if (vocab == null) {
      throw new ModelFormatException(file + ": 'model' has no 'vocab'");
    }
    java.util.TreeMap<Integer, String> byId = new java.util.TreeMap<>();
    if (vocab.isJsonObject()) {
      for (Map.Entry<String, JsonElement> en : vocab.getAsJsonObject().entrySet()) {
        byId.put(en.getValue().getAsInt(), en.getKey());
      }
    } else if (vocab.isJsonArray()) {
      int i = 0;
      for (JsonElement en : vocab.getAsJsonArray()) {
        byId.put(i++, en.getAsJsonArray().get(0).getAsString());
      }
    } else {
      throw new ModelFormatException(file + ": 'model.vocab' is neither a map nor a list");
    }
    if (o.has("added_tokens") && o.get("added_tokens").isJsonArray()) {
      for (JsonElement a : o.getAsJsonArray("added_tokens")) {
        JsonObject t = a.getAsJsonObject();
        byId.put(t.get("id").getAsInt(), t.get("content").getAsString());
      }
    }
    if (byId.isEmpty() || byId.firstKey() < 0) {
      throw new ModelFormatException(file + ": empty vocabulary or negative ids");
    }
    String[] pieces = new String[byId.lastKey() + 1];
    byId.forEach((id, p) -> pieces[id] = p);
    return pieces;
  }

  /** The file this tokenizer was read from. */
  public Path file() {
    return file;
  }

  @Override
  public int[] encode(String text) {
    long[] ids = native_.encode(text).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return native_.decode(l, true);
  }

  @Override
  public synchronized String label(int id) {
    if (id < 0 || id >= labels.length) {
      return "<" + id + ">";
    }
    String l = labels[id];
    if (l == null) {
      String piece = pieces[id];
      String text = native_.decode(new long[] {id}, false);
      if (text.isEmpty() || text.indexOf('\uFFFD') >= 0) {
        // Part of a character (a byte-level or byte-fallback piece): show its bytes.
        l = piece == null ? "<" + id + ">" : bytesLabel(piece);
      } else {
        // Decoders that strip the leading space of a text would hide it on a word-initial piece.
        if (piece != null && piece.startsWith("\u2581") && !text.startsWith(" ")) {
          text = " " + text;
        }
        l = Tokenizer.visible(text);
      }
      labels[id] = l;
    }
    return l;
  }

  /** A piece that is not text on its own, as hex bytes: GPT-2 byte symbols mapped back. */
  private static String bytesLabel(String piece) {
    if (piece.startsWith("<0x")) {
      return piece;
    }
    StringBuilder b = new StringBuilder();
    piece.codePoints().forEach(cp -> b.append(String.format("<0x%02X>", ByteSymbols.byteOf(cp))));
    return b.toString();
  }

  @Override
  public String vocabularyId() {
    return "hf:" + pieces.length + ":" + Arrays.hashCode(pieces);
  }

  @Override
  public int vocabularySize() {
    return pieces.length;
  }

  /**
   * A stream that decodes a window of recent ids and emits what grew, as text-generation servers
   * do: the window starts a few tokens back so that decoders that depend on the first token (a
   * stripped leading space) see the same start both times, and nothing is emitted while the text
   * ends in U+FFFD (a character split across tokens).
   */
  @Override
  public Stream newStream() {
    return new Stream() {
      private int[] ids = new int[16];
      private int n;
      private int prefix;
      private int read;

      @Override
      public String push(int id) {
        if (n == ids.length) {
          ids = Arrays.copyOf(ids, n * 2);
        }
        ids[n++] = id;
        String before = decode(Arrays.copyOfRange(ids, prefix, read));
        String now = decode(Arrays.copyOfRange(ids, prefix, n));
        if (now.length() > before.length() && !now.endsWith("\uFFFD")) {
          String out = now.substring(before.length());
          prefix = read;
          read = n;
          return out;
        }
        if (n - prefix > 64 && now.endsWith("\uFFFD")) {
          // An invalid sequence that no later id completes: give it up as U+FFFD.
          String out = now.substring(Math.min(before.length(), now.length()));
          prefix = read;
          read = n;
          return out;
        }
        return "";
      }
    };
  }

  @Override
  public void close() {
    native_.close();
  }
}
