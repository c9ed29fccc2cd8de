package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javafx.scene.Node;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/** Banning and forcing experts from the Routing tab, before a decode and while one is held. */
@ExtendWith(ApplicationExtension.class)
class InterventionViewTest {
  static Path topk;
  static Path dense;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    MainViewControlsTest.dir = Files.createTempDirectory("workbench-intervention-view-test");
    Engines.pytorch();
    topk =
        MainViewControlsTest.save(
            "topk", ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 256, 4, 2, 1.25));
    dense = MainViewControlsTest.save("dense", ModelConfig.dense(32, 2, 4, 64, 256));
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
    vm = new MainViewModel(service, List.of(topk, dense));
    view = Gui.show(stage, vm, 1400, 900);
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> c) throws Exception {
    Gui.waitUntil(c);
  }

  private List<String> chips(FxRobot robot) {
    return Gui.chips(robot);
  }

  private static boolean chose(TokenSnapshot t, int expert) {
    for (int[] layer : t.experts()) {
      for (int e : layer) {
        if (e == expert) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void aBannedExpertIsNeverChosenAndTakingTheBanOutMidDecodeLetsItBack(FxRobot robot)
      throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    Clicks.tab(robot, "Routing");
    Clicks.check(robot, view.getScene(), "#intervene-expert", "1");
    robot.clickOn("#intervene-every-layer");
    robot.clickOn("#intervene-ban");
    assertEquals(List.of("ban *:1  ✕"), chips(robot));
    robot.interact(() -> vm.maxTokensProperty().set(40));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 40);
    for (TokenSnapshot t : vm.history().tokens()) {
      assertTrue(!chose(t, 1), "token " + t.step() + " chose the banned expert");
      assertEquals(List.of("ban *:1"), t.record().interventions());
    }
    // Step a held decode, take the ban out by its chip, step on: the later records are free.
    robot.clickOn("#step");
    waitUntil(() -> vm.tokenCountProperty().get() == 1 && vm.pausedProperty().get());
    robot.clickOn(robot.lookup("#interventions").lookup(".button").queryAs(Node.class));
    assertEquals(List.of(), chips(robot));
    for (int i = 0; i < 30; i++) {
      robot.clickOn("#step");
      int want = i + 2;
      waitUntil(() -> vm.tokenCountProperty().get() == want);
    }
    assertEquals(List.of("ban *:1"), vm.history().tokens().get(0).record().interventions());
    boolean back = false;
    for (TokenSnapshot t : vm.history().tokens().subList(1, vm.history().tokens().size())) {
      assertNull(t.record().interventions(), "step " + t.step());
      back |= chose(t, 1);
    }
    assertTrue(back, "without the ban, expert 1 is chosen again");
  }

  @Test
  void expertsTickedTogetherAreBannedTogetherAndTheTicksClear(FxRobot robot) throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    Clicks.tab(robot, "Routing");
    Clicks.check(robot, view.getScene(), "#intervene-expert", "0");
    Clicks.check(robot, view.getScene(), "#intervene-expert", "2");
    @SuppressWarnings("unchecked")
    org.controlsfx.control.CheckComboBox<Integer> box =
        robot.lookup("#intervene-expert").queryAs(org.controlsfx.control.CheckComboBox.class);
    assertEquals(List.of(0, 2), List.copyOf(box.getCheckModel().getCheckedItems()));
    robot.clickOn("#intervene-ban");
    assertEquals(List.of("ban 0:0  ✕", "ban 0:2  ✕"), chips(robot));
    assertEquals(List.of(), List.copyOf(box.getCheckModel().getCheckedItems()), "ticks cleared");
    robot.clickOn("#intervene-ban");
    assertEquals(2, chips(robot).size(), "nothing ticked: nothing added");
    robot.interact(() -> vm.maxTokensProperty().set(20));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 20);
    for (TokenSnapshot t : vm.history().tokens()) {
      for (int e : t.experts()[0]) {
        assertTrue(e != 0 && e != 2, "token " + t.step() + " chose banned expert " + e);
      }
    }
  }

  @Test
  void oneThatDoesNotFitIsRefusedWithItsReasonAndAnotherModelClearsThem(FxRobot robot)
      throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    Clicks.tab(robot, "Routing");
    System.gc(); // the chips' listener must outlive a collection
    for (String e : List.of("0", "1", "2")) {
      Clicks.check(robot, view.getScene(), "#intervene-expert", e);
      robot.clickOn("#intervene-force");
    }
    assertEquals(List.of("force 0:0  ✕", "force 0:1  ✕"), chips(robot));
    waitUntil(() -> robot.lookup("#error-dialog").tryQuery().isPresent());
    javafx.scene.control.DialogPane pane =
        robot.lookup("#error-dialog").queryAs(javafx.scene.control.DialogPane.class);
    assertEquals("layer 0: 3 forced experts but the router chooses 2", pane.getContentText());
    robot.interact(() -> pane.getScene().getWindow().hide());
    robot.interact(() -> vm.library().selectedModelProperty().set(dense));
    waitUntil(
        () ->
            !vm.library().loadingProperty().get()
                && vm.shown().familyProperty().get().equals("dense"));
    assertEquals(List.of(), chips(robot));
    assertTrue(!robot.lookup("#intervene-ban").query().isVisible(), "a dense model has no experts");
    assertTrue(robot.lookup("#intervene-row").query().isVisible(), "but it has heads");
    // The other kinds: only those the model has parts for, the value filled in for the layer shown.
    @SuppressWarnings("unchecked")
    javafx.scene.control.ComboBox<String> kinds =
        robot.lookup("#intervene-kind").queryAs(javafx.scene.control.ComboBox.class);
    assertEquals(List.of("head-off"), kinds.getItems(), "a dense model has only heads to turn off");
    assertEquals("0:0", robot.lookup("#intervene-value").queryTextInputControl().getText());
    robot.doubleClickOn("#intervene-value").eraseText(3).write("1:2");
    robot.clickOn("#intervene-add");
    assertEquals(List.of("head-off 1:2  ✕"), chips(robot));
    robot.interact(() -> vm.maxTokensProperty().set(5));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 5);
    assertEquals(List.of("head-off 1:2"), vm.history().tokens().getLast().record().interventions());
    robot.interact(() -> robot.lookup("#intervene-value").queryTextInputControl().setText("0:9"));
    robot.clickOn("#intervene-add");
    waitUntil(() -> robot.lookup("#error-dialog").tryQuery().isPresent());
    javafx.scene.control.DialogPane refused =
        robot.lookup("#error-dialog").queryAs(javafx.scene.control.DialogPane.class);
    assertEquals("head-off 0:9: layer 0 has heads 0..3", refused.getContentText());
    robot.interact(() -> refused.getScene().getWindow().hide());
  }

  @Test
  void theEffectOfEachExpertOnTheNewestTokenAndAnotherLayerClearsIt(FxRobot robot)
      throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    robot.interact(() -> vm.maxTokensProperty().set(10));
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 10);
    Clicks.tab(robot, "Routing");
    robot.clickOn(robot.lookup("#effects-pane .title").queryAs(Node.class));
    robot.clickOn("#effects-run");
    waitUntil(
        () ->
            !vm.intervention().effectsRunningProperty().get()
                && !vm.intervention().effects().isEmpty());
    String status =
        robot.lookup("#effects-status").queryAs(javafx.scene.control.Label.class).getText();
    TokenSnapshot newest = vm.history().tokens().getLast();
    assertTrue(
        status.startsWith(
            "Layer 0, after '" + newest.label().replace(' ', '\u2423') + "' (step 9)"),
        status);
    javafx.scene.control.TableView<?> table =
        robot.lookup("#effects-table").queryAs(javafx.scene.control.TableView.class);
    assertEquals(4, table.getItems().size());
    int chosen = 0;
    for (org.sparsityworkbench.viewmodels.InterventionViewModel.EffectRow r :
        vm.intervention().effects()) {
      int e = Integer.parseInt(r.expert().substring(1));
      boolean was = false;
      for (int x : newest.experts()[0]) {
        was |= x == e;
      }
      assertEquals(was ? "yes" : "", r.chosen(), r.toString());
      if (was) {
        chosen++;
      } else {
        assertEquals("0.0000", r.klBits(), "an expert the token did not choose changes nothing");
      }
    }
    assertEquals(2, chosen, "top-2");
    Clicks.choose(robot, view.getScene(), "#routing-layer", "1");
    assertTrue(vm.intervention().effects().isEmpty(), "the table was of layer 0");
  }

  @Test
  void aWhatIfForksTheDecodeAndShowsTheOriginalBesideTheIntervened(FxRobot robot) throws Exception {
    waitUntil(
        () -> vm.library().modelProperty().get() != null && !vm.library().loadingProperty().get());
    robot.interact(
        () -> {
          vm.maxTokensProperty().set(30);
          vm.temperatureProperty().set(0); // greedy: the original continuation is the decode's own
        });
    robot.clickOn("#generate");
    waitUntil(() -> !vm.runningProperty().get() && vm.tokenCountProperty().get() == 30);
    StringBuilder decoded = new StringBuilder();
    for (TokenSnapshot t : vm.history().tokens().subList(5, 30)) {
      decoded.append(t.record().text());
    }
    Clicks.tab(robot, "Routing");
    Clicks.check(robot, view.getScene(), "#intervene-expert", "1");
    robot.clickOn("#intervene-every-layer");
    robot.clickOn("#intervene-ban");
    Clicks.tab(robot, "Compare");
    robot.clickOn("#compare-what-if");
    robot.doubleClickOn("#compare-fork");
    robot
        .press(javafx.scene.input.KeyCode.CONTROL)
        .type(javafx.scene.input.KeyCode.A)
        .release(javafx.scene.input.KeyCode.CONTROL);
    robot.write("5");
    robot.type(javafx.scene.input.KeyCode.ENTER);
    System.gc(); // the spinner's binding must outlive a collection
    assertEquals(5, vm.compare().forkAfterProperty().get());
    robot.clickOn("#compare");
    waitUntil(() -> !vm.compare().runningProperty().get() && vm.compare().klHistory().size() == 30);
    assertEquals(
        "B (topk + ban *:1): its own continuation",
        robot.lookup("#compare-label-b").queryAs(javafx.scene.control.Label.class).getText());
    String a = vm.compare().textAProperty().get();
    assertTrue(
        a.startsWith(decoded.substring(0, 10)),
        "A continues the decode from its token 5: " + a + " / " + decoded);
    String summary = vm.compare().summaryProperty().get();
    assertTrue(summary.contains("most probable next tokens"), summary);
    assertTrue(summary.contains("changed expert"), summary);
    String moved = vm.compare().movedTokensProperty().get();
    assertTrue(moved.startsWith("step "), moved);
    int lines = moved.split("\n").length;
    int counted = 0;
    for (String part : summary.substring(summary.indexOf("(on A's text): ") + 15).split(", ")) {
      counted = Math.max(counted, Integer.parseInt(part.substring(part.indexOf(' ') + 1)));
    }
    assertTrue(lines >= counted, "every step that moved is listed: " + lines + " >= " + counted);
    // Both sides saved as sessions: A's is the decode from token 5 on, B's names the ban.
    Path saved = Files.createTempDirectory("workbench-what-if-sessions").resolve("w-A.session.gz");
    robot.lookup("#compare-view").queryAs(CompareView.class).chooseSessionsFile =
        w -> saved.toFile();
    robot.clickOn("#compare-save-sessions");
    Path savedB = saved.resolveSibling("w-B.session.gz");
    waitUntil(
        () ->
            Files.exists(savedB)
                && vm.statusProperty().get().equals("Saved the session to " + savedB));
    var sessionA = org.sparsityworkbench.engine.session.SessionFile.read(saved);
    var sessionB = org.sparsityworkbench.engine.session.SessionFile.read(savedB);
    assertEquals(30, sessionA.tokens().size());
    assertEquals(a, sessionA.end().text());
    assertEquals(vm.compare().textBProperty().get(), sessionB.end().text());
    assertNull(sessionA.tokens().getFirst().interventions());
    assertEquals(List.of("ban *:1"), sessionB.tokens().getFirst().interventions());
    assertEquals(sessionA.header().model(), sessionB.header().model(), "one model, one identity");
    StringBuilder forked = new StringBuilder(vm.promptProperty().get());
    vm.history().tokens().subList(0, 5).forEach(t -> forked.append(t.record().text()));
    assertEquals(
        forked.toString(), sessionB.prefill().session().prompt(), "the prompt and 5 tokens");
    view.chooseSessionToOpen = w -> savedB.toFile();
    robot.clickOn("#session-menu");
    robot.clickOn("#open-session");
    waitUntil(
        () ->
            vm.session().shownSessionProperty().get() != null
                && vm.history().tokens().size() == 30);
    String shown = vm.generatedTextProperty().get();
    assertTrue(shown.endsWith(sessionB.end().text()), "B's session shown: " + shown);
    robot.clickOn("#timeline-close");
    waitUntil(() -> vm.session().shownSessionProperty().get() == null);
    // Another intervention: the result was of the old ones.
    robot.interact(() -> vm.intervention().addIntervention("force", "0:2"));
    assertTrue(vm.compare().klHistory().isEmpty());
    assertEquals(
        "B: its own continuation",
        robot.lookup("#compare-label-b").queryAs(javafx.scene.control.Label.class).getText());
  }
}
