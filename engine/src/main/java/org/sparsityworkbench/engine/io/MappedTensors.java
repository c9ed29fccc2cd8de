package org.sparsityworkbench.engine.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.sparsityworkbench.engine.config.ModelFormatException;

/**
 * The tensors of a Hugging Face checkpoint, memory-mapped: {@code model.safetensors}, or the shards
 * that {@code model.safetensors.index.json} names. Any file size (no 2 GiB limit), headers
 * validated before anything is read, F32 tensors used in place, F16 and BF16 converted to float32
 * in Java (native code never sees a half-precision array: DJL 0.35.1 cannot create BF16 ones).
 *
 * <p>Every segment handed out lives in this object's arena, until {@link #close()}: a model built
 * on them must close this after its arrays.
 */
public final class MappedTensors implements AutoCloseable {
  /** The single-file name. */
  public static final String SINGLE = "model.safetensors";

  /** The index of a sharded checkpoint. */
  public static final String INDEX = "model.safetensors.index.json";

  /**
   * Where one tensor lies.
   *
   * @param file the shard holding it
   * @param offset its first byte in that file
   */
  public record Info(String name, SafeTensors.DType dtype, long[] shape, Path file, long offset) {
    /** Number of elements. */
    public long numel() {
      return SafeTensors.numel(shape);
    }

    /** Bytes on disk. */
    public long bytes() {
      return numel() * dtype.bytes();
    }
  }

  private final Arena arena = Arena.ofShared();
  private final Map<String, Info> tensors;
  private final Map<Path, MemorySegment> maps = new LinkedHashMap<>();

  private MappedTensors(Map<String, Info> tensors) {
    this.tensors = tensors;
  }

  /**
   * Opens the checkpoint of a directory and validates every header (and the index, if sharded).
   *
   * @throws ModelFormatException naming the file, and the tensor where one is at fault
   */
  public static MappedTensors open(Path dir) throws ModelFormatException {
    Path index = dir.resolve(INDEX);
    Path single = dir.resolve(SINGLE);
    Map<String, Info> all = new LinkedHashMap<>();
    if (Files.isRegularFile(index)) {
      Map<String, String> weightMap = weightMap(index);
      Map<String, List<String>> byShard = new LinkedHashMap<>();
      weightMap.forEach((t, f) -> byShard.computeIfAbsent(f, k -> new ArrayList<>()).add(t));
      for (Map.Entry<String, List<String>> shard : byShard.entrySet()) {
        Path file = dir.resolve(shard.getKey()).normalize();
        if (!file.startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
          throw new ModelFormatException(
              file
                  + ": missing shard (named by "
                  + index
                  + " for "
                  + shard.getValue().size()
                  + " tensors, e.g. '"
                  + shard.getValue().get(0)
                  + "')");
        }
        Map<String, Info> inFile = headers(file);
        for (String t : shard.getValue()) {
          Info info = inFile.get(t);
          if (info == null) {
            throw new ModelFormatException(
                index + ": names tensor '" + t + "' in " + file + ", which does not hold it");
          }
          all.put(t, info);
        }
      }
    } else if (Files.isRegularFile(single)) {
      all.putAll(headers(single));
    } else {
      throw new ModelFormatException(
          dir + ": no weights (neither " + SINGLE + " nor " + INDEX + " is there)");
    }
    return new MappedTensors(all);
  }

  private static Map<String, String> weightMap(Path index) throws ModelFormatException {
    try {
      JsonElement e = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
      JsonElement wm = e.isJsonObject() ? e.getAsJsonObject().get("weight_map") : null;
      if (wm == null || !wm.isJsonObject()) {
        throw new ModelFormatException(index + ": no 'weight_map' object");
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> kv : wm.getAsJsonObject().entrySet()) {
        if (!kv.getValue().isJsonPrimitive()) {
          throw new ModelFormatException(
              index + ": weight_map entry '" + kv.getKey() + "' is not a file name");
        }
        out.put(kv.getKey(), kv.getValue().getAsString());
      }
      return out;
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(index + ": not valid JSON (" + e.getMessage() + ")", e);
    }
  }

  private static Map<String, Info> headers(Path file) throws ModelFormatException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      SafeTensors.Header h = SafeTensors.header(ch, file);
      Map<String, Info> out = new LinkedHashMap<>();
      for (SafeTensors.Entry e : h.entries()) {
        out.put(
            e.name(), new Info(e.name(), e.dtype(), e.shape(), file, h.dataStart() + e.begin()));
      }
      return out;
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /** Every tensor's name, in index (or file) order. */
  public java.util.Set<String> names() {
    return java.util.Collections.unmodifiableSet(tensors.keySet());
  }

  /** A tensor's description, or null when there is none of that name. */
  public Info info(String name) {
    return tensors.get(name);
  }

  /** Bytes on disk of all tensors. */
  public long bytes() {
    return tensors.values().stream().mapToLong(Info::bytes).sum();
  }

  /** Names that are not in {@code expected}, sorted. */
  public List<String> unexpected(java.util.Set<String> expected) {
    TreeSet<String> extra = new TreeSet<>(tensors.keySet());
    extra.removeAll(expected);
    return new ArrayList<>(extra);
  }

  /**
   * The tensor as float32 in native byte order: the mapped bytes themselves for an aligned F32
   * tensor, else a converted copy in this object's arena. Checks the shape first.
   *
   * @param expected the shape the configuration implies
   * @throws ModelFormatException naming the file and tensor: missing, other shape, non-finite
   */
  public MemorySegment float32(String name, long[] expected, String why)
      throws ModelFormatException {
    Info info = require(name, expected, why);
    MemorySegment src = map(info.file()).asSlice(info.offset(), info.bytes());
    long n = info.numel();
    MemorySegment out;
    ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    if (info.dtype() == SafeTensors.DType.F32
        && src.address() % Float.BYTES == 0
        && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      out = src;
    } else {
      out = arena.allocate(n * Float.BYTES, 64);
      switch (info.dtype()) {
        case F32 -> MemorySegment.copy(src, 0, out, 0, n * Float.BYTES);
        case F16 -> {
          for (long i = 0; i < n; i++) {
            out.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.float16ToFloat(src.getAtIndex(i16, i)));
          }
        }
        case BF16 -> {
          for (long i = 0; i < n; i++) {
            int bits = (src.getAtIndex(i16, i) & 0xffff) << 16;
            out.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.intBitsToFloat(bits));
          }
        }
      }
    }
    for (long i = 0; i < n; i++) {
      float v = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
      if (!Float.isFinite(v)) {
        throw new ModelFormatException(
            info.file() + ": tensor '" + name + "' holds a non-finite value (" + v + ")");
      }
    }
    return out;
  }

  /** Checks that a tensor exists with the expected shape and returns it. */
  public Info require(String name, long[] expected, String why) throws ModelFormatException {
    Info info = tensors.get(name);
    if (info == null) {
      throw new ModelFormatException("tensor '" + name + "' is missing (" + why + ")");
    }
    if (!Arrays.equals(info.shape(), expected)) {
      throw new ModelFormatException(
          info.file()
              + ": tensor '"
              + name
              + "' has shape "
              + Arrays.toString(info.shape())
              + ", expected "
              + Arrays.toString(expected)
              + " ("
              + why
              + ")");
    }
    return info;
  }

  /** A new float32 segment of n values in this object's arena (for tensors put together). */
  public MemorySegment allocate(long n) {
    return arena.allocate(n * Float.BYTES, 64);
  }

  private MemorySegment map(Path file) throws ModelFormatException {
    MemorySegment m = maps.get(file);
    if (m == null) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        // Read-only: the engine never writes a weight in place (an accident would fault, not
        // change the file).
        m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      } catch (IOException e) {
        throw new ModelFormatException(file + ": cannot map (" + e.getMessage() + ")", e);
      }
      maps.put(file, m);
    }
    return m;
  }

  /** Unmaps every file and frees every converted tensor. */
  @Override
  public void close() {
    arena.close();
  }
}
