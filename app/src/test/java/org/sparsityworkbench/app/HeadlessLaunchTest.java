package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher without a display: the GUI says what to do in one line, screenshot just works. */
class HeadlessLaunchTest {
  @TempDir Path dir;

  record Run(int code, String err) {}

  /** Runs Main in a fresh JVM on this test's class path, with no DISPLAY. */
  private Run main(String... args) throws Exception {
    return onDisplay(null, args);
  }

  /** Runs Main in a fresh JVM with DISPLAY set to this (null: none). */
  private Run onDisplay(String display, String... args) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    // As the launcher does: the Vector API for the sparse feed-forward's decode step.
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector"));
    cmd.addAll(
        List.of(
            "-Dai.djl.offline=true",
            "-Dworkbench.models=" + dir.resolve("models"),
            "-cp",
            System.getProperty("java.class.path"),
            "org.sparsityworkbench.app.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("DISPLAY");
    pb.environment().remove("WAYLAND_DISPLAY");
    if (display != null) {
      pb.environment().put("DISPLAY", display);
    }
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Path err = dir.resolve("err.txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(240, TimeUnit.SECONDS), "finished");
    // Here JavaFX comes from the class path, not the launcher's module path: it warns about that.
    // The JVM names the incubator module it was given in one line too, as under the launcher.
    String text =
        Files.readString(err, StandardCharsets.UTF_8)
            .lines()
            .filter(
                l ->
                    !l.contains("com.sun.javafx.application.PlatformImpl startup")
                        && !l.startsWith("WARNING: Unsupported JavaFX configuration")
                        && !l.startsWith("WARNING: Using incubator modules"))
            .collect(Collectors.joining("\n"));
    return new Run(p.exitValue(), text);
  }

  @Test
  void theGuiWithoutADisplaySaysInOneLineHowToGetOne() throws Exception {
    Run r = main();
    assertEquals(1, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("needs a display") && r.err().contains("xvfb-run"), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void theGuiOnADisplayItCannotOpenSaysInOneLineWhatIsMissing() throws Exception {
    // No X server answers on :97: JavaFX fails to load GTK (where it is not installed) or to open
    // the display; either way one line that says what to install or run, no stack trace.
    Run r = onDisplay(":97");
    assertEquals(1, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("needs GTK 3") || r.err().contains("needs a display"), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void screenshotRendersEveryViewWithoutADisplay() throws Exception {
    CliTest.Result init =
        CliTest.run(
            "init-model",
            "--family",
            "switch",
            "--out",
            dir.resolve("models/tiny-switch").toString(),
            "--d-model",
            "32",
            "--layers",
            "1",
            "--heads",
            "2",
            "--d-ff",
            "64",
            "--context",
            "256",
            "--experts",
            "4");
    assertEquals(0, init.code(), init.err());
    Path out = dir.resolve("shots");
    Run r = main("screenshot", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    for (String name : List.of("main", "routing", "attention", "compare", "model", "all-views")) {
      Path png = out.resolve(name + ".png");
      assertTrue(Files.size(png) > 10_000, name + ".png: " + r.err());
      java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
      assertEquals(1400, image.getWidth(), name);
    }
  }
}
