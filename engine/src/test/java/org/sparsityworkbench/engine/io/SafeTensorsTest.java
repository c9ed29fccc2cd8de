package org.sparsityworkbench.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.io.SafeTensors.Contents;
import org.sparsityworkbench.engine.io.SafeTensors.DType;
import org.sparsityworkbench.engine.io.SafeTensors.Tensor;

class SafeTensorsTest {
  @TempDir Path dir;

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Writes an 8-byte little-endian length, then the header bytes, then the data bytes. */
  private Path rawFile(String name, long headerLength, byte[] header, byte[] data)
      throws IOException {
    ByteBuffer b =
        ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLength).put(header).put(data);
    Path file = dir.resolve(name);
    Files.write(file, b.array());
    return file;
  }

  /** A file whose length field is the true length of the UTF-8 header JSON. */
  private Path file(String name, String headerJson, byte[] data) throws IOException {
    byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
    return rawFile(name, header.length, header, data);
  }

  private Path file(String name, String headerJson, int dataBytes) throws IOException {
    return file(name, headerJson, new byte[dataBytes]);
  }

  /** A one-tensor header {"name": {"dtype": .., "shape": .., "data_offsets": ..}}. */
  private static String oneTensor(String name, String dtype, String shape, String offsets) {
    return "{\""
        + name
        + "\":{\"dtype\":"
        + dtype
        + ",\"shape\":"
        + shape
        + ",\"data_offsets\":"
        + offsets
        + "}}";
  }

  /**
   * Asserts that reading fails with a ModelFormatException (assertThrows fails on any other
   * exception) whose message names the file and contains every fragment.
   */
  private static ModelFormatException assertRejected(Path file, String... fragments) {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(file));
    String m = e.getMessage();
    assertTrue(m.contains(file.toString()), () -> "message does not name the file: " + m);
    for (String f : fragments) {
      assertTrue(m.contains(f), () -> "message does not contain '" + f + "': " + m);
    }
    return e;
  }

  private static byte[] littleEndianShorts(int... values) {
    ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putShort((short) v);
    }
    return b.array();
  }

  private static Tensor halfTensor(String name, DType dtype, int... bits) {
    ByteBuffer data = ByteBuffer.wrap(littleEndianShorts(bits)).order(ByteOrder.LITTLE_ENDIAN);
    return new Tensor(name, dtype, new long[] {bits.length}, data);
  }

  private static int[] bitsOf(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Round trip

  @Test
  void writeReadWriteRoundTripIsBitIdentical() throws Exception {
    float[] special = {
      0f,
      -0f,
      1f,
      -1.5f,
      Float.MIN_VALUE,
      Float.MAX_VALUE,
      Float.NEGATIVE_INFINITY,
      Float.intBitsToFloat(0x7fc00001), // a quiet NaN with a payload
    };
    float[] matrix = new float[6 * 5];
    for (int i = 0; i < matrix.length; i++) {
      matrix[i] = (float) Math.sin(i * 0.37) * 1e3f;
    }
    List<Tensor> tensors =
        List.of(
            Tensor.ofFloats("tok_emb.weight", new long[] {6, 5}, matrix),
            Tensor.ofFloats("special", new long[] {2, 2, 2}, special),
            Tensor.ofFloats("scalar", new long[] {}, new float[] {42.25f}),
            Tensor.ofFloats("empty", new long[] {0, 3}, new float[0]),
            halfTensor("half", DType.F16, 0x3C00, 0xC000, 0x7BFF),
            halfTensor("brain", DType.BF16, 0x3F80, 0x4049, 0xFF80, 0x0001));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("note", "quotes \" <tags> & unicode é €");

    Path first = dir.resolve("first.safetensors");
    SafeTensors.write(first, tensors, meta);
    Contents c = SafeTensors.read(first);
    Path second = dir.resolve("second.safetensors");
    SafeTensors.write(second, List.copyOf(c.tensors().values()), c.metadata());

    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    assertEquals(meta, c.metadata());
    assertEquals(
        List.of("tok_emb.weight", "special", "scalar", "empty", "half", "brain"),
        List.copyOf(c.tensors().keySet()),
        "tensors come back in file order");
    for (Tensor want : tensors) {
      Tensor got = c.tensors().get(want.name());
      assertEquals(want.name(), got.name());
      assertEquals(want.dtype(), got.dtype(), want.name());
      assertArrayEquals(want.shape(), got.shape(), want.name());
      assertEquals(want.data(), got.data(), want.name() + ": raw bytes");
      assertArrayEquals(bitsOf(want.toFloats()), bitsOf(got.toFloats()), want.name());
    }
  }

  @Test
  void readsBackFloatValuesShapesAndElementCounts() throws Exception {
    Path file = dir.resolve("w.safetensors");
    float[] w = {1f, 2f, 3f, 4f, 5f, 6f};
    SafeTensors.write(file, List.of(Tensor.ofFloats("w", new long[] {2, 3}, w)), Map.of("k", "v"));
    Tensor t = SafeTensors.read(file).tensors().get("w");
    assertEquals(DType.F32, t.dtype());
    assertArrayEquals(new long[] {2, 3}, t.shape());
    assertEquals(6, t.numel());
    assertArrayEquals(w, t.toFloats());
    assertEquals(0, t.data().position());
    assertEquals(24, t.data().limit(), "limit = 6 elements x 4 bytes");
  }

  @Test
  void writePadsTheHeaderToAnEightByteBoundaryWithSpaces() throws Exception {
    Path file = dir.resolve("pad.safetensors");
    SafeTensors.write(
        file, List.of(Tensor.ofFloats("abc", new long[] {1}, new float[] {7f})), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, n % 8, "header length " + n);
    assertEquals(8 + n + 4, bytes.length);
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertTrue(header.startsWith("{") && header.strip().endsWith("}"), header);
    assertFalse(header.contains("__metadata__"), "empty metadata is not written: " + header);
    assertEquals(7f, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat(8 + (int) n));
  }

  @Test
  void writeReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws Exception {
    Path file = dir.resolve("model.safetensors");
    Files.writeString(file, "old contents");
    SafeTensors.write(
        file, List.of(Tensor.ofFloats("x", new long[] {2}, new float[] {1f, 2f})), Map.of());
    assertArrayEquals(new float[] {1f, 2f}, SafeTensors.read(file).tensors().get("x").toFloats());
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(file), s.toList());
    }
  }

  @Test
  void writeRefusesDuplicateNamesAndDataThatDoesNotMatchTheShape() {
    Path file = dir.resolve("bad.safetensors");
    Tensor a = Tensor.ofFloats("a", new long[] {1}, new float[] {1f});
    IllegalArgumentException dup =
        assertThrows(
            IllegalArgumentException.class, () -> SafeTensors.write(file, List.of(a, a), null));
    assertTrue(dup.getMessage().contains("a"), dup.getMessage());
    Tensor wrong = new Tensor("wrong", DType.F32, new long[] {3}, ByteBuffer.allocate(8));
    IllegalArgumentException size =
        assertThrows(
            IllegalArgumentException.class, () -> SafeTensors.write(file, List.of(wrong), null));
    assertTrue(size.getMessage().contains("wrong"), size.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Tensor.ofFloats("v", new long[] {2, 2}, new float[3]));
  }

  @Test
  void readsAHandWrittenFileWhoseTensorsAreStoredOutOfHeaderOrder() throws Exception {
    // Header lists b first, but b's bytes come after a's; there is also an unused gap of 4 bytes.
    String header =
        "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
            + "\"__metadata__\":{\"who\":\"hand\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(0, 1.5f).putFloat(4, 99f).putFloat(8, -2.5f);
    Contents c = SafeTensors.read(file("order.safetensors", header, data.array()));
    assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()));
    assertArrayEquals(new float[] {-2.5f}, c.tensors().get("b").toFloats());
    assertArrayEquals(new float[] {1.5f}, c.tensors().get("a").toFloats());
    assertEquals(Map.of("who", "hand"), c.metadata());
  }

  @Test
  void acceptsAdjacentTensorsEmptyTensorsAndIntegralDecimalDims() throws Exception {
    // a ends exactly where b begins (no overlap); "2.0" and "1e0" are integers.
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F16\",\"shape\":[1e0,2],\"data_offsets\":[8,12]},"
            + "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[12,12]}}";
    Contents c = SafeTensors.read(file("adjacent.safetensors", header, 12));
    assertArrayEquals(new long[] {2}, c.tensors().get("a").shape());
    assertArrayEquals(new long[] {1, 2}, c.tensors().get("b").shape());
    assertEquals(0, c.tensors().get("z").toFloats().length);
    assertTrue(c.metadata().isEmpty());
  }

  // ---------------------------------------------------------------------------------------------
  // Half precision, built by hand

  @Test
  void convertsF16ToFloat() throws Exception {
    int[] bits = {
      0x3C00, // 1.0: exponent 15 (bias 15), mantissa 0
      0xC000, // -2.0: sign, exponent 16
      0x3800, // 0.5: exponent 14
      0x3555, // 0.333251953125 = (1 + 341/1024) * 2^-2
      0x7BFF, // 65504, the largest finite half: (2 - 2^-10) * 2^15
      0x0001, // 2^-24, the smallest subnormal
      0x0400, // 2^-14, the smallest normal
      0x8000, // -0.0
      0x7C00, // +infinity
      0xFC00, // -infinity
    };
    float[] want = {
      1f,
      -2f,
      0.5f,
      0.333251953125f,
      65504f,
      (float) Math.pow(2, -24),
      (float) Math.pow(2, -14),
      -0f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY
    };
    assertArrayEquals(bitsOf(want), bitsOf(halfTensor("h", DType.F16, bits).toFloats()));
    // Same bytes, read from a hand-built file.
    String header =
        oneTensor("h", "\"F16\"", "[2," + bits.length / 2 + "]", "[0," + 2 * bits.length + "]");
    Tensor t =
        SafeTensors.read(file("f16.safetensors", header, littleEndianShorts(bits)))
            .tensors()
            .get("h");
    assertEquals(DType.F16, t.dtype());
    assertEquals(2, DType.F16.bytes());
    assertArrayEquals(bitsOf(want), bitsOf(t.toFloats()));
    assertTrue(Float.isNaN(halfTensor("nan", DType.F16, 0x7E00).toFloats()[0]));
  }

  @Test
  void convertsBf16ToFloatByWideningTheBits() throws Exception {
    int[] bits = {
      0x3F80, // 1.0: float 0x3F800000
      0xC000, // -2.0: float 0xC0000000
      0x4049, // 3.140625: float 0x40490000 = (1 + 0x49/128) * 2 = (1 + 73/128) * 2
      0x7F7F, // largest finite bf16: float 0x7F7F0000 = 3.3895314e38
      0x0001, // smallest subnormal: float 0x00010000 = 2^-133
      0x8000, // -0.0
      0x7F80, // +infinity
      0xFF80, // -infinity
    };
    float[] want = {
      1f,
      -2f,
      3.140625f,
      Float.intBitsToFloat(0x7F7F0000),
      (float) Math.pow(2, -133),
      -0f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY
    };
    assertEquals(3.3895314e38f, want[3]);
    assertArrayEquals(bitsOf(want), bitsOf(halfTensor("b", DType.BF16, bits).toFloats()));
    String header = oneTensor("b", "\"BF16\"", "[" + bits.length + "]", "[0,16]");
    Tensor t =
        SafeTensors.read(file("bf16.safetensors", header, littleEndianShorts(bits)))
            .tensors()
            .get("b");
    assertEquals(DType.BF16, t.dtype());
    assertArrayEquals(bitsOf(want), bitsOf(t.toFloats()));
  }

  // ---------------------------------------------------------------------------------------------
  // Files that are too short or whose header length is wrong

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7})
  void rejectsFileShorterThanEightBytes(int size) throws Exception {
    Path file = dir.resolve("short.safetensors");
    Files.write(file, new byte[size]);
    assertRejected(file, "truncated", size + " bytes");
  }

  @Test
  void rejectsMissingFile() {
    assertRejected(dir.resolve("absent.safetensors"), "cannot read");
  }

  @Test
  void rejectsADirectory() throws Exception {
    assertRejected(Files.createDirectory(dir.resolve("folder.safetensors")));
  }

  @Test
  void rejectsHeaderLengthLargerThanFile() throws Exception {
    byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
    Path file = rawFile("long.safetensors", 1000, header, new byte[0]);
    assertRejected(file, "header length 1000", "exceeds the file (10 bytes)");
  }

  @Test
  void rejectsHeaderLengthOneByteLongerThanFile() throws Exception {
    byte[] header = "{}  ".getBytes(StandardCharsets.UTF_8);
    assertRejected(rawFile("off-by-one.safetensors", 5, header, new byte[0]), "exceeds the file");
  }

  @ParameterizedTest
  @ValueSource(longs = {Long.MAX_VALUE, Long.MIN_VALUE, SafeTensors.MAX_HEADER_BYTES + 1})
  void rejectsAbsurdlyHugeHeaderLength(long length) throws Exception {
    Path file =
        rawFile("huge.safetensors", length, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
    assertRejected(file, "header length " + Long.toUnsignedString(length), "outside");
  }

  @Test
  void rejectsNegativeHeaderLengthShownAsUnsigned() throws Exception {
    Path file = rawFile("neg.safetensors", -1L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
    assertRejected(file, "18446744073709551615");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1})
  void rejectsHeaderLengthTooSmallForAJsonObject(long length) throws Exception {
    Path file =
        rawFile("tiny.safetensors", length, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
    assertRejected(file, "header length " + length);
  }

  // ---------------------------------------------------------------------------------------------
  // Headers that are not a JSON object

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hello world",
        "{",
        "{\"a\": }",
        "{\"a\":{\"dtype\":\"F32\"}",
        "}{",
        "\u0000\u0000\u0000\u0000"
      })
  void rejectsHeaderThatIsNotJson(String header) throws Exception {
    assertRejected(file("notjson.safetensors", header, 0), "header");
  }

  @Test
  void rejectsDeeplyNestedHeaderWithoutStackOverflow() throws Exception {
    assertRejected(file("deep.safetensors", "[".repeat(100_000), 0), "header");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1, 2]", "\"a string\"", "42", "null", "true", "        "})
  void rejectsHeaderThatIsNotAJsonObject(String header) throws Exception {
    assertRejected(file("notobject.safetensors", header, 0), "not a JSON object");
  }

  @Test
  void rejectsHeaderEntryThatIsNotAnObject() throws Exception {
    assertRejected(file("entry.safetensors", "{\"layer.w\": 5}", 0), "'layer.w'", "not an object");
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets outside the data section

  @Test
  void rejectsDataOffsetsBeyondTheDataSection() throws Exception {
    Path file = file("trunc.safetensors", oneTensor("w", "\"F32\"", "[4]", "[0,16]"), 8);
    assertRejected(file, "'w'", "data_offsets [0, 16]", "8 bytes", "truncated");
  }

  @Test
  void rejectsAWrittenFileThatWasCutShort() throws Exception {
    Path file = dir.resolve("cut.safetensors");
    SafeTensors.write(
        file,
        List.of(
            Tensor.ofFloats("first", new long[] {4}, new float[4]),
            Tensor.ofFloats("second", new long[] {4}, new float[4])),
        null);
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length - 3));
    assertRejected(file, "'second'", "truncated");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[8,4]", // begin after end
        "[0,9223372036854775807]", // Long.MAX_VALUE end
        "[9223372036854775807,9223372036854775807]"
      })
  void rejectsDataOffsetsOutsideTheData(String offsets) throws Exception {
    Path file = file("offsets.safetensors", oneTensor("w", "\"F32\"", "[1]", offsets), 16);
    assertRejected(file, "'w'", "data_offsets");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"[0]", "[0,4,8]", "[]", "\"0,4\"", "{}", "[-4,0]", "[0.5,4]", "[0,\"4\"]"})
  void rejectsMalformedDataOffsets(String offsets) throws Exception {
    Path file = file("offsets.safetensors", oneTensor("w", "\"F32\"", "[1]", offsets), 16);
    assertRejected(file, "'w'", "'data_offsets'");
  }

  @Test
  void rejectsMissingDataOffsets() throws Exception {
    Path file = file("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
    assertRejected(file, "'w'", "'data_offsets'");
  }

  // ---------------------------------------------------------------------------------------------
  // Shapes

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[3]", // 3 x 4 = 12 bytes, offsets span 8
        "[1]", // 4 bytes, offsets span 8
        "[2,2]", // 16 bytes
        "[0]" // 0 bytes
      })
  void rejectsShapeWhoseElementCountDoesNotMatchOffsets(String shape) throws Exception {
    Path file = file("count.safetensors", oneTensor("w", "\"F32\"", shape, "[0,8]"), 8);
    assertRejected(file, "'w'", "shape", "data_offsets span 8");
  }

  @Test
  void rejectsShapeThatIgnoresTheElementSize() throws Exception {
    // 4 F16 elements need 4 x 2 = 8 bytes, not 16.
    Path file = file("f16count.safetensors", oneTensor("h", "\"F16\"", "[4]", "[0,16]"), 16);
    assertRejected(file, "'h'", "needs 8 bytes", "span 16");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[1e18,1e18]", // 10^36 elements overflows a long
        "[4294967296,4294967296]", // 2^64 elements
        "[9223372036854775807,2]",
        "[65536,65536,65536,65536]"
      })
  void rejectsShapeWhoseElementCountOverflows(String shape) throws Exception {
    Path file = file("overflow.safetensors", oneTensor("w", "\"F32\"", shape, "[0,8]"), 8);
    assertRejected(file, "'w'", "shape overflows");
  }

  @Test
  void rejectsHugeShapeThatDoesNotOverflowButDoesNotFitTheData() throws Exception {
    // 10^18 elements fit in a long, but need 4 x 10^18 bytes: still a shape/offset mismatch.
    Path file = file("huge.safetensors", oneTensor("w", "\"F32\"", "[1e18]", "[0,8]"), 8);
    assertRejected(file, "'w'", "shape");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[-1,8]", "[-2]", "[-1,-2]", "[2,-1]"})
  void rejectsNegativeDims(String shape) throws Exception {
    // [-1, -2] has a positive product 2, which would otherwise fit 8 bytes of F32.
    Path file = file("neg.safetensors", oneTensor("w", "\"F32\"", shape, "[0,8]"), 8);
    assertRejected(file, "'w'", "'shape'", "non-negative integers");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"[1.5,2]", "[2.25]", "[1e-3]", "[\"2\"]", "[true]", "[[2]]", "[null]", "[{}]"})
  void rejectsNonIntegerDims(String shape) throws Exception {
    Path file = file("nonint.safetensors", oneTensor("w", "\"F32\"", shape, "[0,8]"), 8);
    assertRejected(file, "'w'", "'shape'", "integers");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"2\"", "2", "{}", "null"})
  void rejectsShapeThatIsNotAnArray(String shape) throws Exception {
    Path file = file("notarray.safetensors", oneTensor("w", "\"F32\"", shape, "[0,8]"), 8);
    assertRejected(file, "'w'", "'shape'", "array");
  }

  @Test
  void rejectsDimTooLargeForALong() throws Exception {
    Path file = file("big.safetensors", oneTensor("w", "\"F32\"", "[1e19]", "[0,8]"), 8);
    assertRejected(file, "'w'", "'shape'", "too large");
  }

  @Test
  void rejectsMoreThanEightDims() throws Exception {
    Path file =
        file("dims.safetensors", oneTensor("w", "\"F32\"", "[1,1,1,1,1,1,1,1,2]", "[0,8]"), 8);
    assertRejected(file, "'w'", "9 dimensions");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1e99999]", "[1e-99999]"})
  void rejectsDimWithAbsurdExponent(String shape) throws Exception {
    Path file = file("exp.safetensors", oneTensor("w", "\"F32\"", shape, "[0,8]"), 8);
    assertRejected(file, "'w'", "'shape'");
  }

  // ---------------------------------------------------------------------------------------------
  // Data types

  @ParameterizedTest
  @ValueSource(strings = {"I64", "F64", "I8", "BOOL", "f32", "F8_E4M3", ""})
  void rejectsUnsupportedDtype(String dtype) throws Exception {
    Path file = file("dtype.safetensors", oneTensor("w", "\"" + dtype + "\"", "[1]", "[0,8]"), 8);
    assertRejected(file, "'w'", "dtype '" + dtype + "' is not supported");
  }

  @ParameterizedTest
  @ValueSource(strings = {"4", "null", "[\"F32\"]", "{}"})
  void rejectsNonStringDtype(String dtype) throws Exception {
    Path file = file("dtype.safetensors", oneTensor("w", dtype, "[1]", "[0,4]"), 4);
    assertRejected(file, "'w'", "'dtype'");
  }

  @Test
  void rejectsMissingDtype() throws Exception {
    Path file = file("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    assertRejected(file, "'w'", "'dtype'");
  }

  // ---------------------------------------------------------------------------------------------
  // Overlapping tensors

  @Test
  void rejectsOverlappingTensors() throws Exception {
    String header =
        "{\"alpha\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"beta\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    assertRejected(file("overlap.safetensors", header, 12), "'alpha'", "'beta'", "overlap");
  }

  @Test
  void rejectsTensorsSharingTheSameBytes() throws Exception {
    String header =
        "{\"alpha\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"beta\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}";
    assertRejected(file("same.safetensors", header, 8), "'alpha'", "'beta'", "overlap");
  }

  @Test
  void rejectsTensorContainedInAnotherListedLater() throws Exception {
    // Listed out of order: the inner tensor comes first in the header.
    String header =
        "{\"inner\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
            + "\"other\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
            + "\"outer\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}}";
    assertRejected(file("inside.safetensors", header, 20), "'outer'", "'inner'", "overlap");
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata

  @ParameterizedTest
  @ValueSource(strings = {"1", "null", "true", "{\"x\":\"y\"}", "[\"y\"]"})
  void rejectsNonStringMetadataValues(String value) throws Exception {
    String header = "{\"__metadata__\":{\"ok\":\"fine\",\"bad_key\":" + value + "}}";
    assertRejected(file("meta.safetensors", header, 0), "'__metadata__'", "'bad_key'", "string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"text\"", "[]", "null", "3"})
  void rejectsMetadataThatIsNotAnObject(String value) throws Exception {
    String header = "{\"__metadata__\":" + value + "}";
    assertRejected(file("meta.safetensors", header, 0), "'__metadata__'");
  }
}
