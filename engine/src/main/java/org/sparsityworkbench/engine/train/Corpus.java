package org.sparsityworkbench.engine.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A byte corpus for training: one file, or every regular file of a folder (recursively, sorted by
 * path, README.md and scripts excluded) joined with newlines. The last 5% of every file is held out
 * for validation, so that every domain is validated.
 *
 * @param train bytes to train on
 * @param validation held-out bytes
 * @param source where it came from, for the model card
 */
public record Corpus(byte[] train, byte[] validation, String source) {

  /**
   * The text files of a corpus folder: every regular file below it, sorted by path, without
   * README.md and shell scripts (the corpus's provenance, not its text).
   */
  public static List<Path> textFiles(Path folder) throws IOException {
    try (Stream<Path> s = Files.walk(folder)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().equals("README.md"))
          .filter(p -> !p.getFileName().toString().endsWith(".sh"))
          .sorted()
          .toList();
    }
  }

  /** Reads and splits a corpus; every problem names the path. */
  public static Corpus read(Path path, int sequenceLength) throws IOException {
    if (!Files.exists(path)) {
      throw new IOException(path + ": no such corpus file or folder");
    }
    List<Path> files = Files.isDirectory(path) ? textFiles(path) : List.of(path);
    ByteArrayOutputStream train = new ByteArrayOutputStream();
    ByteArrayOutputStream val = new ByteArrayOutputStream();
    long total = 0;
    for (Path f : files) {
      byte[] b = Files.readAllBytes(f);
      total += b.length;
      int split = b.length - b.length / 20;
      train.write(b, 0, split);
      train.write('\n');
      val.write(b, split, b.length - split);
      val.write('\n');
    }
    if (total == 0) {
      throw new IOException(path + ": the corpus is empty");
    }
    int need = (sequenceLength + 1) * 2;
    if (train.size() < 20 * need || val.size() < need) {
      throw new IOException(
          path
              + ": the corpus has "
              + total
              + " bytes; too few for sequences of "
              + sequenceLength
              + " bytes with 5% held out (need about "
              + 20 * 20 * need / 19
              + ")");
    }
    return new Corpus(train.toByteArray(), val.toByteArray(), path.toString());
  }
}
