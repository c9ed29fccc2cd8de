package org.sparsityworkbench.app;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.util.Duration;
import javax.imageio.ImageIO;
import org.sparsityworkbench.viewmodels.MainViewModel;

/** Renders the window to PNG after a short decode: for docs and for looking at what we build. */
final class Screenshots {
  private Screenshots() {}

  /** Waits for the model, decodes, snapshots the scene into {@code dir/main.png}, then exits. */
  static void afterDecode(MainViewModel vm, Scene scene, Path dir, Runnable close) {
    final boolean[] started = {false};
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
                  } else if (started[0] && !vm.runningProperty().get()) {
                    poll.stop();
                    try {
                      write(scene, dir.resolve("main.png"));
                    } catch (IOException ex) {
                      System.err.println("error: cannot write screenshot: " + ex.getMessage());
                    }
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
