package org.sparsityworkbench.engine.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsityworkbench.engine.config.ModelFormatException;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * header {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}}, then
 * the data, offsets relative to its start.
 *
 * <p>The reader trusts nothing: the header length, every offset and every shape are checked against
 * the file before a byte of tensor data is read, so a truncated or hostile file is a {@link
 * ModelFormatException} naming the file and tensor, never an out-of-memory error or a native crash.
 */
public final class SafeTensors {

  /** Headers larger than this are refused (real ones are kilobytes). */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private SafeTensors() {}

  /** Element types this project reads; all are computed in float32. */
  public enum DType {
    F32(4),
    F16(2),
    BF16(2);

    private final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
      return bytes;
    }
  }

  /**
   * One tensor: its name, stored type, shape and little-endian raw bytes.
   *
   * @param data little-endian bytes, position 0, limit = element count x element size
   */
  public record Tensor(String name, DType dtype, long[] shape, ByteBuffer data) {
    /** Number of elements (product of the shape). */
    public long numel() {
      return SafeTensors.numel(shape);
    }

    /** The values as float32, converting half precision. */
    public float[] toFloats() {
      ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      int n = Math.toIntExact(numel());
      float[] out = new float[n];
      switch (dtype) {
        case F32 -> b.asFloatBuffer().get(out);
        case F16 -> {
          for (int i = 0; i < n; i++) {
            out[i] = Float.float16ToFloat(b.getShort(2 * i));
          }
        }
        case BF16 -> {
          for (int i = 0; i < n; i++) {
            out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
          }
        }
      }
      return out;
    }

    /** A float32 tensor from values. */
    public static Tensor ofFloats(String name, long[] shape, float[] values) {
      if (SafeTensors.numel(shape) != values.length) {
        throw new IllegalArgumentException(
            name + ": " + values.length + " values for shape " + java.util.Arrays.toString(shape));
      }
      ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      return new Tensor(name, DType.F32, shape.clone(), b);
    }
  }

  /** Contents of a safetensors file, tensors in file order. */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Reads and validates a whole file.
   *
   * @throws ModelFormatException naming the file (and tensor) for every malformed input
   */
  public static Contents read(Path file) throws ModelFormatException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header h = header(ch, file);
      Map<String, String> metadata = parseMetadata(h.json(), file);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (Entry e : h.entries()) {
        long bytes = e.end - e.begin;
        if (bytes > Integer.MAX_VALUE - 16) {
          throw new ModelFormatException(
              file + ": tensor '" + e.name + "' is " + bytes + " bytes, over the 2 GiB limit");
        }
        ByteBuffer data = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, data, h.dataStart() + e.begin, file);
        data.flip();
        tensors.put(e.name, new Tensor(e.name, e.dtype, e.shape, data));
      }
      return new Contents(tensors, metadata);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * A file's validated header: every tensor's type, shape and byte range, checked against the file
   * size (no range outside the data, no overlaps, sizes that match the shapes).
   *
   * @param dataStart offset in the file of the data section (8 + header length)
   * @param json the header text
   */
  public record Header(List<Entry> entries, long dataStart, String json) {}

  /** Reads and validates the header of an open file; reads no tensor data. */
  public static Header header(FileChannel ch, Path file) throws IOException, ModelFormatException {
    long size = ch.size();
    if (size < 8) {
      throw new ModelFormatException(
          file + ": truncated: " + size + " bytes, shorter than the 8-byte header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0, file);
    long headerLen = lenBuf.getLong(0);
    if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
      throw new ModelFormatException(
          file
              + ": header length "
              + Long.toUnsignedString(headerLen)
              + " is outside 2.."
              + MAX_HEADER_BYTES);
    }
    if (headerLen > size - 8) {
      throw new ModelFormatException(
          file + ": header length " + headerLen + " exceeds the file (" + size + " bytes)");
    }
    ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
    readFully(ch, headerBuf, 8, file);
    String header = new String(headerBuf.array(), StandardCharsets.UTF_8);
    long dataStart = 8 + headerLen;
    return new Header(parseHeader(header, size - dataStart, file), dataStart, header);
  }

  /** One tensor of a header: byte range [begin, end) relative to the data section. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    /** Number of elements. */
    public long numel() {
      return SafeTensors.numel(shape);
    }
  }

  private static List<Entry> parseHeader(String header, long dataLen, Path file)
      throws ModelFormatException {
    JsonObject root;
    try {
      JsonElement e = JsonParser.parseString(header);
      if (!e.isJsonObject()) {
        throw new ModelFormatException(file + ": header is not a JSON object");
      }
      root = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new ModelFormatException(file + ": header is not valid JSON (" + e.getMessage() + ")");
    }
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, JsonElement> kv : root.entrySet()) {
      String name = kv.getKey();
      if (name.equals("__metadata__")) {
        continue;
      }
      String where = file + ": tensor '" + name + "'";
      if (!kv.getValue().isJsonObject()) {
        throw new ModelFormatException(where + ": header entry is not an object");
      }
      JsonObject t = kv.getValue().getAsJsonObject();
      DType dtype = dtype(t.get("dtype"), where);
      long[] shape = longs(t.get("shape"), where + ": 'shape'", -1);
      long[] offsets = longs(t.get("data_offsets"), where + ": 'data_offsets'", 2);
      long count;
      try {
        count = numel(shape);
      } catch (ArithmeticException ex) {
        throw new ModelFormatException(where + ": shape overflows");
      }
      long begin = offsets[0];
      long end = offsets[1];
      if (begin > end || end > dataLen) {
        throw new ModelFormatException(
            where
                + ": data_offsets ["
                + begin
                + ", "
                + end
                + "] outside the data section of "
                + dataLen
                + " bytes (truncated file?)");
      }
      if (count > (end - begin) / dtype.bytes() || count * dtype.bytes() != end - begin) {
        String needs =
            count > Long.MAX_VALUE / dtype.bytes() ? "more than 2^63" : "" + count * dtype.bytes();
        throw new ModelFormatException(
            where
                + ": shape "
                + java.util.Arrays.toString(shape)
                + " of "
                + dtype
                + " needs "
                + needs
                + " bytes but data_offsets span "
                + (end - begin));
      }
      entries.add(new Entry(name, dtype, shape, begin, end));
    }
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).begin < sorted.get(i - 1).end) {
        throw new ModelFormatException(
            file
                + ": tensors '"
                + sorted.get(i - 1).name
                + "' and '"
                + sorted.get(i).name
                + "' overlap");
      }
    }
    return entries;
  }

  private static Map<String, String> parseMetadata(String header, Path file)
      throws ModelFormatException {
    Map<String, String> out = new LinkedHashMap<>();
    JsonElement m = JsonParser.parseString(header).getAsJsonObject().get("__metadata__");
    if (m == null) {
      return out;
    }
    if (!m.isJsonObject()) {
      throw new ModelFormatException(file + ": '__metadata__' must be an object of strings");
    }
    for (Map.Entry<String, JsonElement> kv : m.getAsJsonObject().entrySet()) {
      JsonElement v = kv.getValue();
      if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
        throw new ModelFormatException(
            file + ": '__metadata__' value of '" + kv.getKey() + "' must be a string");
      }
      out.put(kv.getKey(), v.getAsString());
    }
    return out;
  }

  private static DType dtype(JsonElement e, String where) throws ModelFormatException {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new ModelFormatException(where + ": missing or non-string 'dtype'");
    }
    String s = e.getAsString();
    try {
      return DType.valueOf(s);
    } catch (IllegalArgumentException ex) {
      throw new ModelFormatException(
          where + ": dtype '" + s + "' is not supported (expected F32, F16 or BF16)");
    }
  }

  private static long[] longs(JsonElement e, String where, int expectedLength)
      throws ModelFormatException {
    if (e == null || !e.isJsonArray()) {
      throw new ModelFormatException(where + " must be an array of integers");
    }
    JsonArray a = e.getAsJsonArray();
    if (expectedLength >= 0 && a.size() != expectedLength) {
      throw new ModelFormatException(where + " must have " + expectedLength + " entries, got " + a);
    }
    if (a.size() > 8) {
      throw new ModelFormatException(where + " has " + a.size() + " dimensions (at most 8)");
    }
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      JsonElement x = a.get(i);
      if (!x.isJsonPrimitive() || !((JsonPrimitive) x).isNumber()) {
        throw new ModelFormatException(where + " must hold integers, got " + a);
      }
      String text = x.getAsString();
      if (text.length() > 20) {
        throw new ModelFormatException(where + " holds a value out of range: " + abbreviate(text));
      }
      java.math.BigDecimal d;
      try {
        d = new java.math.BigDecimal(text);
      } catch (NumberFormatException ex) {
        throw new ModelFormatException(where + " must hold integers, got " + abbreviate(text));
      }
      if (d.signum() != 0 && d.stripTrailingZeros().scale() > 0) {
        throw new ModelFormatException(where + " must hold integers, got " + text);
      }
      try {
        out[i] = d.longValueExact();
      } catch (ArithmeticException ex) {
        throw new ModelFormatException(where + " holds a value too large: " + text);
      }
      if (out[i] < 0) {
        throw new ModelFormatException(where + " must hold non-negative integers, got " + text);
      }
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file)
      throws IOException, ModelFormatException {
    long p = pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, p);
      if (n < 0) {
        throw new ModelFormatException(file + ": truncated at byte " + p);
      }
      p += n;
    }
  }

  /**
   * Writes tensors in the given order, atomically: a temporary file in the same folder is written,
   * forced to disk and renamed over {@code file}, so a reader never sees a half-written file.
   */
  public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    if (metadata != null && !metadata.isEmpty()) {
      header.put("__metadata__", metadata);
    }
    long offset = 0;
    for (Tensor t : tensors) {
      long bytes = t.data().remaining();
      if (bytes != t.numel() * t.dtype().bytes()) {
        throw new IllegalArgumentException(t.name() + ": data size does not match shape");
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", t.dtype().name());
      entry.put("shape", t.shape());
      entry.put("data_offsets", new long[] {offset, offset + bytes});
      if (header.put(t.name(), entry) != null) {
        throw new IllegalArgumentException("duplicate tensor name " + t.name());
      }
      offset += bytes;
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // data starts 8-byte aligned; pad with spaces
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = TempFiles.create(dir, file.getFileName().toString());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        writeFully(ch, head);
        for (Tensor t : tensors) {
          writeFully(ch, t.data().duplicate());
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
