package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.hf.RandomMixtral;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * A Hugging Face checkpoint in the window, as a user meets it: it loads, Generate streams its
 * tokens labelled by their tokenizer texts (not bytes), the routing shows its experts, and the
 * Model tab shows its own config.json.
 */
@ExtendWith(ApplicationExtension.class)
class HfModelViewTest {
  static Path dir;
  static Path mixtral;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    dir = Files.createTempDirectory("workbench-hf-view-test");
    mixtral = dir.resolve("tiny-mixtral");
    new RandomMixtral(32, 48, 2, 4, 2, 8, 2, 700, 128).write(mixtral, 3);
    service = new DecodeService();
  }

  @AfterAll
  static void close() {
    service.close();
  }

  MainViewModel vm;

  @Start
  void start(Stage stage) {
    vm = new MainViewModel(service, List.of(mixtral));
    Scene scene = new Scene(new MainView(vm), 1200, 700);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  @Test
  void aHuggingFaceMixtralDecodesWithItsTokensAndExperts(FxRobot robot) throws Exception {
    Button generate = robot.lookup("#generate").queryButton();
    Label info = robot.lookup("#model-info").queryAs(Label.class);
    WaitForAsyncUtils.waitFor(
        60, TimeUnit.SECONDS, () -> !generate.isDisabled() && info.getText().contains("mixtral"));
    assertTrue(info.getText().contains("mixtral"), info.getText());
    robot.interact(() -> vm.maxTokensProperty().set(12));
    javafx.scene.control.TextInputControl prompt =
        robot.lookup("#prompt").queryAs(javafx.scene.control.TextInputControl.class);
    robot.interact(() -> prompt.setText("the cat sat"));
    robot.clickOn(generate);
    WaitForAsyncUtils.waitFor(
        60,
        TimeUnit.SECONDS,
        () -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 12);
    WaitForAsyncUtils.waitForFxEvents();
    // The prompt's boxes are its BPE tokens, fewer than its 11 bytes, and their texts put
    // together give the prompt back.
    TokenStreamView stream = robot.lookup("#token-stream").queryAs(TokenStreamView.class);
    assertTrue(stream.text().startsWith("the cat sat"), stream.text());
    assertTrue(
        vm.stream().promptLength() < "the cat sat".length(),
        "tokens: " + vm.stream().promptLength());
    assertEquals("th", vm.history().labelAt(0), "init-hf's tokenizer merges letter pairs first");
    // Every generated token is a vocabulary id, labelled by the tokenizer.
    for (var t : vm.history().tokens()) {
      int id = t.record().token();
      assertTrue(id >= 0 && id < 700, "id " + id);
      assertTrue(!t.label().isEmpty(), "label of " + id);
    }
    Label routing = robot.lookup("#routing").queryAs(Label.class);
    assertTrue(routing.getText().contains("L1 → e"), routing.getText());
    assertTrue(vm.library().modelDetailsProperty().get().contains("\"model_type\": \"mixtral\""));
    assertNull(vm.errorProperty().get());
    assertEquals(8, vm.shown().routeKeyCount(), "8 experts to colour");
    Label legend = robot.lookup("#stream-legend").queryAs(Label.class);
    assertEquals("Colour: the token's top expert in the layer.", legend.getText());
    // Every tab draws it (the attention axis asked a native-only configuration for the context).
    List<Throwable> uncaught = FxFailures.during(() -> FxFailures.visitEveryTab(robot));
    assertEquals(List.of(), uncaught, "no view fails on an imported model");
    assertEquals(128, vm.shown().context());
  }
}
