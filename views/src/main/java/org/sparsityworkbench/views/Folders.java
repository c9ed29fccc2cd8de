package org.sparsityworkbench.views;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the file dialogs start. Open... starts in the folder of the bundled models, then in the
 * folder of the model opened last (its siblings are the likely next choice); a save starts in the
 * folder of the last export (the user's home before the first). A folder that has gone falls back
 * to the next choice. No JavaFX: the dialogs are given what this decides.
 */
final class Folders {
  /** The dialogs of the window (UI thread): every chart's and the Export menu's saves share it. */
  static final Folders SHARED = new Folders(Path.of(System.getProperty("user.home", ".")));

  private final Path home;
  private Path lastOpened;
  private Path lastExport;

  /**
   * @param home where a save starts before the first export
   */
  Folders(Path home) {
    this.home = home;
  }

  /**
   * Where Open... starts: the parent of the model opened last, else the folder that holds the
   * bundled models (the parent of the first of them), else the working directory.
   */
  Path openStart(List<Path> models) {
    if (lastOpened != null && Files.isDirectory(lastOpened.getParent())) {
      return lastOpened.getParent();
    }
    for (Path m : models) {
      Path parent = m.toAbsolutePath().getParent();
      if (parent != null && Files.isDirectory(parent)) {
        return parent;
      }
    }
    Path samples = Path.of("sample-models");
    return Files.isDirectory(samples) ? samples.toAbsolutePath() : Path.of("").toAbsolutePath();
  }

  /** Remembers a model directory the user chose in Open.... */
  void opened(Path modelDir) {
    Path dir = modelDir.toAbsolutePath();
    if (dir.getParent() != null) {
      lastOpened = dir;
    }
  }

  /** Where a save starts: the folder of the last export, else the home folder. */
  Path saveStart() {
    if (lastExport != null && Files.isDirectory(lastExport)) {
      return lastExport;
    }
    return Files.isDirectory(home) ? home : Path.of("").toAbsolutePath();
  }

  /** Forgets the folders remembered so far, as a new window starts (tests open several). */
  void forget() {
    lastOpened = null;
    lastExport = null;
  }

  /** Remembers the folder of a file just saved. */
  void saved(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      lastExport = parent;
    }
  }
}
