package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.Models;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeOptions;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.decode.DecodeSession;
import org.sparsityworkbench.engine.decode.SamplingOptions;
import org.sparsityworkbench.engine.hf.RandomMixtral;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.engine.session.ModelIdentity;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;
import org.sparsityworkbench.engine.telemetry.TelemetryLevel;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * A saved session opened in a workbench that has no model at all: Session > Open session..., then
 * the timeline steps through it and every tab draws it.
 */
@ExtendWith(ApplicationExtension.class)
class SessionViewTest {
  static Path dir;
  static Path switchSession;
  static Path mixtralSession;
  static List<String> switchTokens = new ArrayList<>();
  static DecodeService service;

  @BeforeAll
  static void sessions() throws Exception {
    dir = Files.createTempDirectory("workbench-session-view-test");
    Engines.pytorch();
    MainViewControlsTest.dir = dir;
    Path sw =
        MainViewControlsTest.save(
            "switch", ModelConfig.moe(Family.SWITCH, 32, 2, 4, 64, 256, 4, 1, 1.25));
    Path mixtral = dir.resolve("tiny-mixtral");
    new RandomMixtral(32, 48, 2, 4, 2, 8, 2, 700, 128).write(mixtral, 3);
    switchSession = save(sw, "Once upon", dir.resolve("switch.session.gz"));
    mixtralSession = save(mixtral, "the cat sat", dir.resolve("mixtral.session.gz"));
    for (Records.Token t : SessionFile.read(switchSession).tokens()) {
      switchTokens.add(t.text());
    }
    service = new DecodeService();
  }

  /** Decodes 24 tokens with full telemetry and saves them as the CLI's --save does. */
  private static Path save(Path model, String prompt, Path file) throws Exception {
    List<Records.Record> records = new ArrayList<>();
    try (NDManager m = NDManager.newBaseManager();
        TransformerModel t = Models.load(model, m)) {
      DecodeOptions options =
          new DecodeOptions(24, new SamplingOptions(0.8, 0, 1.0, 2), TelemetryLevel.FULL, true);
      Records.Session run = options.session(model.toString(), t.spec().family(), prompt, null);
      DecodeSession.run(
          t,
          prompt,
          options,
          r -> records.add(r instanceof Records.Prefill p ? p.withSession(run) : r),
          () -> false);
      SessionFile.of(
              new SessionFile.Header(
                  SessionFile.VERSION,
                  MainViewModel.PROGRAM,
                  ModelIdentity.of(model, t.spec().family(), t.isNative(), t.configJson())),
              records)
          .save(file);
    }
    return file;
  }

  @AfterAll
  static void close() {
    service.close();
  }

  MainViewModel vm;
  MainView view;

  @Start
  void start(Stage stage) {
    vm = new MainViewModel(service, List.of()); // no model at all
    view = new MainView(vm);
    Scene scene = new Scene(view, 1400, 860);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  private void open(FxRobot robot, Path file) throws Exception {
    view.chooseSessionToOpen = w -> file.toFile();
    robot.clickOn("#session-menu");
    robot.clickOn("#open-session");
    WaitForAsyncUtils.waitFor(
        30,
        TimeUnit.SECONDS,
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 24);
    WaitForAsyncUtils.waitForFxEvents();
  }

  private String position(FxRobot robot) {
    return robot.lookup("#timeline-position").queryAs(Label.class).getText();
  }

  @Test
  void theTimelineStepsThroughASessionWithoutItsModel(FxRobot robot) throws Exception {
    javafx.scene.Node bar = robot.lookup("#timeline-bar").query();
    assertTrue(!bar.isVisible(), "no timeline before a session is open");
    open(robot, switchSession);
    assertTrue(bar.isVisible());
    assertNull(vm.library().modelProperty().get(), "no model needed");
    assertEquals("token 24 of 24", position(robot));
    TokenStreamView stream = robot.lookup("#token-stream").queryAs(TokenStreamView.class);
    assertEquals("Once upon" + String.join("", switchTokens), stream.text());
    // Back three tokens with the button, then to the start with the keyboard on the scrubber.
    for (int i = 0; i < 3; i++) {
      robot.clickOn("#timeline-back");
    }
    WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> vm.history().tokens().size() == 21);
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals("token 21 of 24", position(robot));
    assertEquals(
        "Once upon" + String.join("", switchTokens.subList(0, 21)), stream.text(), "token 21");
    robot.clickOn("#timeline");
    robot.type(javafx.scene.input.KeyCode.HOME);
    WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> vm.history().tokens().isEmpty());
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals("token 0 of 24", position(robot));
    assertEquals("Once upon", stream.text(), "the prompt only");
    robot.clickOn("#timeline-forward");
    WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> vm.history().tokens().size() == 1);
    // Play runs it to the end.
    robot.clickOn("#timeline-speed");
    robot.clickOn("100 tokens/s");
    robot.clickOn("#timeline-play");
    WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> vm.history().tokens().size() == 24);
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals("token 24 of 24", position(robot));
    // Close: back to no model, nothing of the session shown.
    robot.clickOn("#timeline-close");
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(!bar.isVisible());
    assertEquals(0, vm.history().tokens().size());
  }

  @Test
  void anImportedModelsSessionDrawsInEveryTabWithItsTokenTexts(FxRobot robot) throws Exception {
    open(robot, mixtralSession);
    assertEquals(8, vm.shown().routeKeyCount(), "its 8 experts, read from the records");
    assertEquals(128, vm.shown().context(), "max_position_embeddings of its config");
    assertEquals("th", vm.history().labelAt(0), "labels from the texts the records carry");
    List<Throwable> uncaught =
        FxFailures.during(
            () -> {
              FxFailures.visitEveryTab(robot);
              javafx.scene.control.TabPane tabs =
                  robot.lookup("#tabs").queryAs(javafx.scene.control.TabPane.class);
              robot.interact(() -> tabs.getSelectionModel().select(0));
              robot.clickOn("#timeline-back");
              WaitForAsyncUtils.waitFor(
                  5, TimeUnit.SECONDS, () -> vm.history().tokens().size() == 23);
              WaitForAsyncUtils.waitForFxEvents();
              String shot = System.getenv("WORKBENCH_SESSION_SHOT");
              if (shot != null) {
                robot.interact(
                    () -> {
                      try {
                        javax.imageio.ImageIO.write(
                            javafx.embed.swing.SwingFXUtils.fromFXImage(
                                view.snapshot(null, null), null),
                            "png",
                            new java.io.File(shot));
                      } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                      }
                    });
              }
            });
    assertEquals(List.of(), uncaught, "no view fails on a session");
    assertNull(vm.errorProperty().get());
  }
}
