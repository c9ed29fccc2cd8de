package org.sparsityworkbench.engine.session;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryJson;

/**
 * A saved decode: a gzip-compressed file of JSON lines. The first line is the header (format,
 * version, the program that saved it, the model's identity); then every telemetry record exactly as
 * {@code decode --jsonl} prints it, prefill first and end last. Kept as the lines themselves, so a
 * replay prints what the decode printed, byte for byte.
 *
 * @param header what was decoded, by which program
 * @param lines the records' JSON lines, in order
 * @param records the same records, parsed
 */
public record SessionFile(Header header, List<String> lines, List<Records.Record> records) {
  /** The {@code format} of every session's header. */
  public static final String FORMAT = "sparsity-workbench-session";

  /** The program and version that saves sessions here (and that {@code --version} prints). */
  public static final String PROGRAM = "Sparsity Workbench 0.1.0";

  /** The format version this program writes and the newest it reads. */
  public static final int VERSION = 1;

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  public SessionFile {
    lines = List.copyOf(lines);
    records = List.copyOf(records);
  }

  /**
   * The header line.
   *
   * @param version format version
   * @param program the program and version that saved it ("Sparsity Workbench 0.1.0")
   * @param model the model's identity
   */
  public record Header(int version, String program, ModelIdentity model) {}

  /** A session of records as a decode produced them (the prefill carries its session). */
  public static SessionFile of(Header header, List<Records.Record> records) {
    List<String> lines = new ArrayList<>(records.size());
    for (Records.Record r : records) {
      lines.add(TelemetryJson.toJson(r));
    }
    return new SessionFile(header, lines, records);
  }

  /**
   * Where the second side of a comparison goes beside the first's file: {@code x-A.session.gz}
   * gives {@code x-B.session.gz}, any other name gets {@code -B} before {@code .session.gz} (or at
   * its end).
   */
  public static Path sideB(Path fileA) {
    String name = fileA.getFileName().toString();
    boolean gz = name.endsWith(".session.gz");
    String stem = gz ? name.substring(0, name.length() - ".session.gz".length()) : name;
    String base = stem.endsWith("-A") ? stem.substring(0, stem.length() - 2) : stem;
    return fileA.resolveSibling(base + "-B" + (gz ? ".session.gz" : ""));
  }

  /** The prefill record (the first). */
  public Records.Prefill prefill() {
    return (Records.Prefill) records.getFirst();
  }

  /** The end record (the last). */
  public Records.End end() {
    return (Records.End) records.getLast();
  }

  /** The token records, in order. */
  public List<Records.Token> tokens() {
    List<Records.Token> out = new ArrayList<>(records.size());
    for (Records.Record r : records) {
      if (r instanceof Records.Token t) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * Writes the session (through a temporary file, so an existing file is replaced whole or not at
   * all).
   */
  public void save(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = org.sparsityworkbench.engine.io.TempFiles.create(dir, "." + file.getFileName());
    try {
      try (BufferedWriter w =
          new BufferedWriter(
              new OutputStreamWriter(
                  new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16),
                  StandardCharsets.UTF_8))) {
        JsonObject h = new JsonObject();
        h.addProperty("format", FORMAT);
        h.addProperty("version", header.version());
        h.addProperty("program", header.program());
        h.add("model", header.model().toJson());
        w.write(GSON.toJson(h));
        w.write('\n');
        for (String line : lines) {
          w.write(line);
          w.write('\n');
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a whole session, or nothing.
   *
   * @throws SessionFormatException naming the file (and line) when it is not a session, of a newer
   *     version, truncated, or a record does not parse
   */
  public static SessionFile read(Path file) throws IOException {
    List<String> all = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(2);
      if (magic.length < 2 || (magic[0] & 0xff) != 0x1f || (magic[1] & 0xff) != 0x8b) {
        throw new SessionFormatException(
            file
                + ": not a session file (a session is gzip-compressed JSON lines; this file "
                + (magic.length == 0 ? "is empty)" : "is not compressed)"));
      }
    }
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file), 1 << 16),
                StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.add(line);
      }
    } catch (EOFException e) {
      throw new SessionFormatException(
          file + ": truncated (the compressed data ends early, after " + all.size() + " lines)");
    } catch (ZipException | UncheckedIOException e) {
      throw new SessionFormatException(file + ": damaged compressed data (" + e.getMessage() + ")");
    }
    if (all.isEmpty()) {
      throw new SessionFormatException(file + ": empty session (no header line)");
    }
    Header header = header(file, all.getFirst());
    List<String> lines = all.subList(1, all.size());
    List<Records.Record> records = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      try {
        records.add(TelemetryJson.fromJson(lines.get(i)));
      } catch (IllegalArgumentException e) {
        throw new SessionFormatException(
            file + " line " + (i + 2) + ": the record does not parse: " + e.getMessage());
      }
    }
    if (records.isEmpty() || !(records.getFirst() instanceof Records.Prefill)) {
      throw new SessionFormatException(file + " line 2: the first record is not the prefill");
    }
    if (!(records.getLast() instanceof Records.End)) {
      throw new SessionFormatException(
          file + ": truncated (no end record after " + records.size() + " records)");
    }
    for (int i = 1; i < records.size() - 1; i++) {
      if (!(records.get(i) instanceof Records.Token t)) {
        throw new SessionFormatException(
            file + " line " + (i + 2) + ": a " + records.get(i).type() + " record among tokens");
      } else if (t.step() != i - 1) {
        throw new SessionFormatException(
            file
                + " line "
                + (i + 2)
                + ": step "
                + t.step()
                + " where step "
                + (i - 1)
                + " is due");
      }
    }
    return new SessionFile(header, lines, records);
  }

  private static Header header(Path file, String line) throws SessionFormatException {
    JsonObject h;
    try {
      JsonElement e = JsonParser.parseString(line);
      h = e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (RuntimeException e) {
      h = null;
    }
    if (h == null || !h.has("format") || !FORMAT.equals(h.get("format").getAsString())) {
      throw new SessionFormatException(
          file + " line 1: not a Sparsity Workbench session (no \"format\": \"" + FORMAT + "\")");
    }
    int version;
    try {
      version = h.get("version").getAsInt();
    } catch (RuntimeException e) {
      throw new SessionFormatException(file + " line 1: \"version\" is missing or not a number");
    }
    if (version > VERSION) {
      throw new SessionFormatException(
          String.format(
              "%s: session format version %d; this workbench reads up to version %d (a newer"
                  + " workbench saved it)",
              file, version, VERSION));
    }
    if (version < 1) {
      throw new SessionFormatException(file + " line 1: \"version\" " + version + " is not valid");
    }
    ModelIdentity model;
    try {
      model = ModelIdentity.fromJson(h.getAsJsonObject("model"));
    } catch (RuntimeException e) {
      throw new SessionFormatException(
          file + " line 1: \"model\" is missing or incomplete (" + e.getMessage() + ")");
    }
    String program = h.has("program") ? h.get("program").getAsString() : "";
    return new Header(version, program, model);
  }
}
