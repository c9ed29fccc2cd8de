package org.sparsityworkbench.engine.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files for writes that are renamed into place. Unlike {@link Files#createTempFile}
 * (always mode 0600), they get the permissions of any new file (the umask), so the file renamed
 * into place is as readable as one written directly.
 */
public final class TempFiles {
  private TempFiles() {}

  /** Creates an empty file {@code prefix.<random>.tmp} in dir. */
  public static Path create(Path dir, String prefix) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path p =
          dir.resolve(
              prefix
                  + "."
                  + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                  + ".tmp");
      try {
        return Files.createFile(p);
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e;
        }
      }
    }
  }
}
