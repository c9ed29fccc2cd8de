package org.sparsityworkbench.app;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.control.TabPane;
import javafx.util.Duration;
import javax.imageio.ImageIO;
import org.sparsityworkbench.viewmodels.MainViewModel;

/** Renders the window to PNG after a short decode: for docs and for looking at what we build. */
final class Screenshots {
  private Screenshots() {}

  /**
   * Waits for the model, decodes, compares, analyses the bundled corpus, snapshots the window into
   * {@code dir/main.png}, every tab into {@code dir/<tab>.png} and the "All views" grid into {@code
   * dir/all-views.png}, then exits.
   */
  static void afterDecode(MainViewModel vm, Scene scene, Path dir, Runnable close) {
    final boolean[] started = {false};
    final boolean[] compared = {false};
    final boolean[] analysed = {false};
    final int[] tab = {-1};
    final long deadline = System.nanoTime() + 180_000_000_000L;
    Timeline poll = new Timeline();
    poll.getKeyFrames()
        .add(
            new KeyFrame(
                Duration.millis(100),
                e -> {
                  if (vm.errorProperty().get() != null || System.nanoTime() > deadline) {
                    System.err.println(
                        "error: no screenshot: "
                            + (vm.errorProperty().get() != null
                                ? vm.errorProperty().get()
                                : "timed out; status: " + vm.statusProperty().get()));
                    poll.stop();
                    close.run();
                  } else if (!started[0] && vm.canGenerateBinding().get()) {
                    vm.maxTokensProperty().set(120);
                    vm.generate();
                    started[0] = true;
                  } else if (started[0] && !vm.runningProperty().get() && !compared[0]) {
                    compared[0] = true; // then the comparison, for the Compare tab
                    vm.compare().compare();
                  } else if (compared[0] && !analysed[0] && !vm.compare().runningProperty().get()) {
                    analysed[0] = true; // then a corpus analysis, for the Analyse tab
                    vm.analysis().tokensProperty().set(60_000);
                    vm.analysis().run();
                  } else if (analysed[0]
                      && !vm.analysis().runningProperty().get()
                      && vm.analysis().expertProperty().get() < 0
                      && vm.analysis().resultProperty().get() != null) {
                    vm.analysis().expertProperty().set(0);
                  } else if (analysed[0] && !vm.analysis().runningProperty().get()) {
                    // One tab per tick: a tab selected on one tick is drawn by the next.
                    try {
                      javafx.scene.control.ToggleButton all =
                          (javafx.scene.control.ToggleButton) scene.lookup("#all-views");
                      if (all.isSelected()) {
                        // Last, every view at once: the grid of "All views".
                        write(scene, dir.resolve("all-views.png"));
                        all.setSelected(false);
                      } else {
                        TabPane tabs = (TabPane) scene.lookup("#tabs");
                        if (tab[0] < 0) {
                          write(scene, dir.resolve("main.png"));
                        } else {
                          String name =
                              tabs.getTabs()
                                  .get(tab[0])
                                  .getText()
                                  .toLowerCase(java.util.Locale.ROOT);
                          write(scene, dir.resolve(name.replaceAll("[^a-z]+", "-") + ".png"));
                        }
                        tab[0]++;
                        if (tab[0] < tabs.getTabs().size()) {
                          tabs.getSelectionModel().select(tab[0]);
                        } else {
                          tabs.getSelectionModel().select(0);
                          all.setSelected(true);
                        }
                        return;
                      }
                    } catch (IOException ex) {
                      System.err.println("error: cannot write screenshot: " + ex.getMessage());
                    }
                    poll.stop();
                    close.run();
                  }
                }));
    poll.setCycleCount(Timeline.INDEFINITE);
    poll.play();
  }

  static void write(Scene scene, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    BufferedImage image = SwingFXUtils.fromFXImage(scene.snapshot(null), null);
    ImageIO.write(image, "png", file.toFile());
    System.err.println("wrote " + file);
  }
}
