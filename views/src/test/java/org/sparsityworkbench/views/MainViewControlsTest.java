package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javafx.geometry.Point2D;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.scene.control.TabPane;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextInputControl;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The main window's controls used as a person uses them: typing into the spinners and the prompt,
 * keyboard shortcuts, Open…, hovering, switching models.
 */
@ExtendWith(ApplicationExtension.class)
class MainViewControlsTest {
  static Path dir;
  static Path topk;
  static Path dense;
  static Path qkv;
  static DecodeService service;

  static Path save(String name, ModelConfig c) throws Exception {
    Path out = dir.resolve(name);
    try (NDManager m = NDManager.newBaseManager();
        TransformerModel t = TransformerModel.random(c, 1, m)) {
      t.save(out, Map.of());
    }
    return out;
  }

  @BeforeAll
  static void models() throws Exception {
    dir = Files.createTempDirectory("workbench-controls-test");
    Engines.pytorch();
    topk = save("topk", ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 256, 4, 2, 1.25));
    Files.writeString(
        topk.resolve(TransformerModel.CARD_FILE),
        "# A tiny top-2 model\n\nRandom weights, **not trained**, for `tests`.\n\n"
            + "## Parameters\n\n- one item\n- another item\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    dense = save("dense", ModelConfig.dense(32, 1, 4, 64, 256));
    qkv = save("sparse-qkv", ModelConfig.sparse(Family.SPARSE_QKV, 32, 1, 4, 64, 256, 8, 8, 4, 3));
    service = new DecodeService();
  }

  @AfterAll
  static void close() {
    service.close();
  }

  MainViewModel vm;
  MainView view;

  @Start
  void start(Stage stage) {
    vm = new MainViewModel(service, List.of(topk, dense, qkv));
    view = new MainView(vm);
    Scene scene = new Scene(view, 1260, 760);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  /** A test that failed half-way must not leave a held decode on the shared engine thread. */
  @org.junit.jupiter.api.AfterEach
  void stopDecoding() throws Exception {
    if (vm != null) {
      WaitForAsyncUtils.asyncFx(vm::stop).get();
      WaitForAsyncUtils.waitFor(
          20,
          TimeUnit.SECONDS,
          () -> WaitForAsyncUtils.asyncFx(() -> !vm.runningProperty().get()).get());
    }
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> condition) throws Exception {
    WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
  }

  private void loaded(Path model) throws Exception {
    waitUntil(
        () ->
            vm.library().modelProperty().get() != null
                && !vm.library().loadingProperty().get()
                && vm.shown().infoProperty().get().startsWith(model.getFileName() + " ·"));
    WaitForAsyncUtils.waitForFxEvents();
  }

  /** Picks a model in the tool bar's model list with the mouse. */
  private void pickModel(FxRobot robot, Path model) throws Exception {
    robot.clickOn("#model-picker");
    WaitForAsyncUtils.waitForFxEvents();
    robot.clickOn(
        robot
            .lookup(".list-cell")
            .match(
                n ->
                    n.getScene() != view.getScene() // in the picker's pop-up list
                        && model
                            .getFileName()
                            .toString()
                            .equals(((javafx.scene.control.Labeled) n).getText()))
            .queryAs(Node.class));
    loaded(model);
  }

  private void finished() throws Exception {
    waitUntil(() -> !vm.runningProperty().get());
    WaitForAsyncUtils.waitForFxEvents();
  }

  private static void typeInto(FxRobot robot, String id, String text) {
    robot.clickOn(id);
    robot.press(KeyCode.CONTROL, KeyCode.A).release(KeyCode.A, KeyCode.CONTROL);
    robot.write(text);
  }

  private static void shortcut(FxRobot robot, KeyCode key) {
    robot.press(KeyCode.CONTROL, key).release(key, KeyCode.CONTROL);
    WaitForAsyncUtils.waitForFxEvents();
  }

  @Test
  void spinnersTakeTypedValuesAndArrowClicksAfterAGarbageCollection(FxRobot robot)
      throws Exception {
    loaded(topk);
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Thread.sleep(100);
    typeInto(robot, "#max-tokens .text-field", "37");
    robot.type(KeyCode.ENTER);
    typeInto(robot, "#temperature .text-field", "0.3");
    robot.type(KeyCode.ENTER);
    typeInto(robot, "#seed .text-field", "4");
    robot.type(KeyCode.ENTER);
    robot.clickOn("#seed .increment-arrow-button");
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals(37, vm.maxTokensProperty().get(), "typed tokens");
    assertEquals(0.3, vm.temperatureProperty().get(), 1e-9, "typed temperature");
    assertEquals(5, vm.seedProperty().get(), "typed seed, then one arrow click");
    robot.clickOn("#generate");
    finished();
    assertTrue(
        robot.lookup("#status").queryAs(Label.class).getText().startsWith("Done: 37 tokens"),
        robot.lookup("#status").queryAs(Label.class).getText());
  }

  @Test
  void stepByKeyWorksAfterAModelChangeAndAfterAllViewsAndNoKeyReplacesThePrompt(FxRobot robot)
      throws Exception {
    loaded(topk);
    TextInputControl prompt = robot.lookup("#prompt").queryAs(TextInputControl.class);
    String text = prompt.getText();
    robot.clickOn("#step"); // the mouse on Step, as a person starts stepping
    waitUntil(() -> vm.tokenCountProperty().get() == 1);
    robot.clickOn("#stop");
    finished();
    pickModel(robot, dense);
    shortcut(robot, KeyCode.RIGHT);
    waitUntil(() -> vm.tokenCountProperty().get() == 1);
    assertEquals(text, prompt.getText(), "Ctrl+Right steps; it does not edit the prompt");
    shortcut(robot, KeyCode.G); // All views
    shortcut(robot, KeyCode.RIGHT);
    waitUntil(() -> vm.tokenCountProperty().get() == 2);
    robot.type(KeyCode.X); // a stray key
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals(text, prompt.getText(), "a stray key does not replace the prompt");
    shortcut(robot, KeyCode.G);
    robot.type(KeyCode.ESCAPE);
    finished();
  }

  @Test
  void thePromptTakesSeveralLinesAndCtrlEnterGenerates(FxRobot robot) throws Exception {
    loaded(topk);
    robot.interact(() -> vm.maxTokensProperty().set(5));
    typeInto(robot, "#prompt", "def f(x):");
    robot.type(KeyCode.ENTER);
    robot.write("    return");
    assertFalse(vm.runningProperty().get(), "Enter is a new line, not Generate");
    assertEquals("def f(x):\n    return", vm.promptProperty().get());
    shortcut(robot, KeyCode.ENTER);
    waitUntil(() -> vm.tokenCountProperty().get() == 5);
    finished();
    assertEquals("def f(x):\n    return", vm.promptProperty().get());
    assertEquals(20 + 5, vm.stream().contextLength(), "the whole prompt, both lines, was decoded");
  }

  @Test
  void theNewestTokenPanelShowsTheLastStepWhileHeld(FxRobot robot) throws Exception {
    loaded(topk);
    TextArea details = robot.lookup("#token-details").queryAs(TextArea.class);
    for (int i = 1; i <= 3; i++) {
      robot.clickOn("#step");
      int n = i;
      waitUntil(() -> vm.tokenCountProperty().get() == n);
      WaitForAsyncUtils.waitForFxEvents();
      assertTrue(
          details.getText().startsWith("Newest token · ")
              && details.getText().contains("step " + (i - 1) + " ·"),
          "held after step " + (i - 1) + ": " + details.getText());
    }
    robot.clickOn("#stop");
    finished();
    robot.interact(() -> vm.maxTokensProperty().set(100_000));
    robot.clickOn("#generate");
    waitUntil(() -> vm.tokenCountProperty().get() > 20);
    robot.clickOn("#pause");
    int[] count = {-1};
    waitUntil( // the tokens already on their way arrive; then nothing more
        () -> {
          int c = vm.tokenCountProperty().get();
          boolean still = c == count[0] && !vm.hasNews();
          count[0] = c;
          Thread.sleep(300);
          return still;
        });
    WaitForAsyncUtils.waitForFxEvents();
    Thread.sleep(400);
    WaitForAsyncUtils.waitForFxEvents();
    assertTrue(
        details.getText().contains("step " + (vm.tokenCountProperty().get() - 1) + " ·"),
        vm.tokenCountProperty().get() + " tokens, paused: " + details.getText());
    robot.clickOn("#stop");
    finished();
  }

  @Test
  void aFailedOpenLeavesTheModelListAndTheLoadedModelAsTheyWere(FxRobot robot) throws Exception {
    loaded(topk);
    Path empty = Files.createDirectories(dir.resolve("empty-folder"));
    Path notAModel = Files.createDirectories(dir.resolve("photos"));
    Files.writeString(notAModel.resolve("readme.txt"), "holiday");
    Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
    Files.copy(topk.resolve("model.safetensors"), corrupt.resolve("model.safetensors"));
    Files.writeString(corrupt.resolve("config.json"), "{\"family\": \"topk\",");
    List<Path> before = List.copyOf(vm.library().models());
    ComboBox<?> picker = robot.lookup("#model-picker").queryAs(ComboBox.class);
    for (Path bad : List.of(empty, notAModel, corrupt)) {
      view.chooseDirectory = w -> bad.toFile();
      robot.clickOn("#open-model");
      waitUntil(() -> robot.lookup("#error-dialog").tryQuery().isPresent());
      DialogPane pane = robot.lookup("#error-dialog").queryAs(DialogPane.class);
      String message = pane.getContentText();
      assertTrue(message.contains(bad.getFileName().toString()), message);
      assertFalse(message.contains("Exception") || message.contains("java."), message);
      robot.interact(() -> pane.getScene().getWindow().hide());
      WaitForAsyncUtils.waitForFxEvents();
      assertEquals(before, List.copyOf(vm.library().models()), "a model that failed is not listed");
      assertEquals(topk, picker.getValue(), "the picker names the model still loaded");
      assertTrue(
          robot.lookup("#model-info").queryAs(Label.class).getText().startsWith("topk ·"),
          robot.lookup("#model-info").queryAs(Label.class).getText());
    }
    ComboBox<?> compareB = robot.lookup("#compare-model").queryAs(ComboBox.class);
    assertEquals(before, List.copyOf(compareB.getItems()), "nor in Compare");
    // A good one opens, is listed once and selected.
    view.chooseDirectory = w -> qkv.toFile();
    robot.clickOn("#open-model");
    loaded(qkv);
    assertEquals(qkv, picker.getValue());
    assertEquals(before, List.copyOf(vm.library().models()), "already listed: not twice");
  }

  @Test
  void switchingModelsResetsTheSpeedAndDisablesColourByLayerForDense(FxRobot robot)
      throws Exception {
    loaded(topk);
    robot.interact(() -> vm.maxTokensProperty().set(30));
    robot.clickOn("#generate");
    finished();
    Label speed = robot.lookup("#speed").queryAs(Label.class);
    assertTrue(speed.getText().startsWith("30 tokens"), speed.getText());
    assertFalse(robot.lookup("#stream-layer").query().isDisabled(), "routed: colour by layer");
    pickModel(robot, dense);
    assertEquals("0 tokens · 0.0 tokens/s", speed.getText());
    assertTrue(robot.lookup("#stream-layer").query().isDisabled(), "dense: nothing to colour by");
  }

  @Test
  void pauseBecomingResumeMovesNoButton(FxRobot robot) throws Exception {
    loaded(topk);
    Button pause = robot.lookup("#pause").queryButton();
    Button stop = robot.lookup("#stop").queryButton();
    double width = pause.getWidth();
    double stopX = stop.localToScene(0, 0).getX();
    robot.clickOn("#step");
    waitUntil(() -> vm.tokenCountProperty().get() == 1);
    WaitForAsyncUtils.waitForFxEvents();
    assertEquals("Resume", pause.getText());
    assertEquals(width, pause.getWidth(), 0.01, "Pause and Resume take the same width");
    assertEquals(stopX, stop.localToScene(0, 0).getX(), 0.01, "Stop stays where it was");
    robot.clickOn("#stop");
    finished();
  }

  @Test
  void tokenBoxesWrapBetweenWordsAndPromptTokensCanBeHovered(FxRobot robot) throws Exception {
    loaded(topk);
    String words =
        "Sparse models route every token to a few experts; the router learns which expert"
            + " suits which token, and the load balancing loss keeps all experts busy. Dense"
            + " models use every weight for every token instead, which costs more.";
    robot.interact(
        () -> {
          vm.maxTokensProperty().set(1);
          vm.promptProperty().set(words);
        });
    robot.clickOn("#generate");
    finished();
    TokenStreamView stream = robot.lookup("#token-stream").queryAs(TokenStreamView.class);
    int lines = 1;
    for (int p = 1; p < words.length(); p++) {
      boolean newLine = stream.centreOf(p).getY() != stream.centreOf(p - 1).getY();
      lines += newLine ? 1 : 0;
      if (newLine) {
        assertTrue(
            words.charAt(p - 1) == ' ' || !Character.isLetter(words.charAt(p)),
            "a line break inside a word, before position " + p + ": '" + words.charAt(p) + "'");
      }
    }
    assertTrue(lines >= 3, "the text wraps: " + lines + " lines");

    javafx.geometry.Bounds b = stream.localToScreen(stream.getBoundsInLocal());
    Point2D at = stream.centreOf(2);
    robot.moveTo(new Point2D(b.getMinX() + at.getX(), b.getMinY() + at.getY()));
    WaitForAsyncUtils.waitForFxEvents();
    String details = robot.lookup("#token-details").queryAs(TextArea.class).getText();
    assertTrue(details.startsWith("Prompt token · 'a'"), details);
    assertTrue(details.contains("position 2"), details);
    assertTrue(details.contains("L0: e"), "its routing in the prompt's pass: " + details);
  }

  @Test
  void hoveredSparseQkvDetailsReadWellAndTheModelCardIsRendered(FxRobot robot) throws Exception {
    loaded(topk);
    TabPane tabs = robot.lookup("#tabs").queryAs(TabPane.class);
    robot.interact(() -> tabs.getSelectionModel().select(tabs.getTabs().size() - 1));
    WaitForAsyncUtils.waitForFxEvents();
    Node card = robot.lookup("#model-card").query();
    List<String> texts =
        robot.from(card).lookup((Node n) -> n instanceof javafx.scene.text.Text).queryAll().stream()
            .map(n -> ((javafx.scene.text.Text) n).getText())
            .toList();
    String all = String.join("|", texts);
    assertTrue(texts.contains("A tiny top-2 model"), "the heading without its #: " + all);
    assertTrue(texts.contains("not trained"), "bold without its stars: " + all);
    assertTrue(all.contains("one item") && all.contains("•"), "a list with bullets: " + all);
    assertFalse(all.contains("**") || all.contains("# ") || all.contains("`"), all);
    robot.interact(() -> tabs.getSelectionModel().select(0));

    pickModel(robot, qkv);
    robot.interact(() -> vm.maxTokensProperty().set(5));
    robot.clickOn("#generate");
    finished();
    TokenStreamView stream = robot.lookup("#token-stream").queryAs(TokenStreamView.class);
    javafx.geometry.Bounds b = stream.localToScreen(stream.getBoundsInLocal());
    Point2D at = stream.centreOf(vm.stream().promptLength() + 1);
    robot.moveTo(new Point2D(b.getMinX() + at.getX(), b.getMinY() + at.getY()));
    WaitForAsyncUtils.waitForFxEvents();
    String details = robot.lookup("#token-details").queryAs(TextArea.class).getText();
    assertTrue(details.startsWith("Hovered token · "), details);
    assertTrue(details.contains("L0: QKV modules"), "no stray separator: " + details);
    assertTrue(details.contains(" µs"), details);
    assertFalse(details.contains(" us"), details);
  }
}
