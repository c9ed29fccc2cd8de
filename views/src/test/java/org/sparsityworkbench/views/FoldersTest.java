package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where Open... and the saves start. */
class FoldersTest {
  @TempDir Path tmp;

  @Test
  void openStartsInTheBundledModelsFolderThenWhereTheLastModelWas() throws Exception {
    Path samples = Files.createDirectories(tmp.resolve("sample-models"));
    Path dense = Files.createDirectories(samples.resolve("dense"));
    Path elsewhere = Files.createDirectories(tmp.resolve("mine/runs/model-a"));
    Folders f = new Folders(tmp);
    assertEquals(samples, f.openStart(List.of(dense)));
    f.opened(elsewhere);
    assertEquals(elsewhere.getParent(), f.openStart(List.of(dense)), "the last folder");
    Files.delete(elsewhere);
    Files.delete(elsewhere.getParent());
    assertEquals(samples, f.openStart(List.of(dense)), "a folder that has gone: back to samples");
  }

  @Test
  void savesStartInTheFolderOfTheLastExport() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    Path figures = Files.createDirectories(tmp.resolve("paper/figures"));
    Folders f = new Folders(home);
    assertEquals(home, f.saveStart(), "before the first export");
    f.saved(figures.resolve("routing-map.svg"));
    assertEquals(figures, f.saveStart());
  }
}
