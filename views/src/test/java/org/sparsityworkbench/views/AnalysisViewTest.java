package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.analysis.AnalysisFiles;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.viewmodels.AnalysisViewModel;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The Analyse tab used as a person does: pick a model and a corpus, type a budget, press Analyse,
 * click an expert in the map, cancel a long run, export the tables; a result never outlives the
 * model it names.
 */
@ExtendWith(ApplicationExtension.class)
class AnalysisViewTest {
  static Path dir;
  static Path topk;
  static Path dense;
  static Path corpus;
  static DecodeService service;

  @BeforeAll
  static void models() throws Exception {
    dir = Files.createTempDirectory("workbench-analysis-view-test");
    Engines.pytorch();
    MainViewControlsTest.dir = dir;
    topk =
        MainViewControlsTest.save(
            "topk", ModelConfig.moe(Family.TOPK, 32, 2, 4, 64, 128, 4, 2, 1.25));
    dense = MainViewControlsTest.save("dense", ModelConfig.dense(32, 2, 4, 64, 128));
    corpus = dir.resolve("corpus");
    Files.createDirectories(corpus.resolve("prose"));
    Files.createDirectories(corpus.resolve("numbers"));
    Files.writeString(
        corpus.resolve("prose/a.txt"), "In the beginning the experts were even. ".repeat(300));
    Files.writeString(corpus.resolve("numbers/n.csv"), "1,2,3,5,8,13,21,34,55,89\n".repeat(300));
    big = dir.resolve("big");
    Files.createDirectories(big.resolve("text"));
    Files.writeString(
        big.resolve("text/long.txt"), "A corpus long enough to cancel. ".repeat(100_000));
    mixtral = dir.resolve("tiny-mixtral");
    new org.sparsityworkbench.engine.hf.RandomMixtral(32, 48, 2, 4, 2, 4, 2, 700, 128)
        .write(mixtral, 5);
    service = new DecodeService();
  }

  static Path big;
  static Path mixtral;

  @AfterAll
  static void close() {
    service.close();
  }

  MainViewModel vm;
  AnalysisViewModel avm;
  MainView view;
  AnalysisView analysis;

  @Start
  void start(Stage stage) {
    vm = new MainViewModel(service, List.of(dense, topk, mixtral));
    avm = vm.analysis();
    view = new MainView(vm);
    Scene scene = new Scene(view, 1400, 900);
    Styles.apply(scene);
    stage.setScene(scene);
    stage.show();
  }

  private void open(FxRobot robot) {
    Clicks.tab(robot, "Analyse");
    analysis = robot.lookup("#analysis-view").queryAs(AnalysisView.class);
    analysis.chooseCorpus = w -> corpus;
  }

  private void choose(FxRobot robot, String combo, String entry) {
    Clicks.choose(robot, view.getScene(), combo, entry);
  }

  private void typeBudget(FxRobot robot, String text) {
    robot.doubleClickOn("#analysis-tokens");
    robot.press(KeyCode.CONTROL).type(KeyCode.A).release(KeyCode.CONTROL);
    robot.write(text);
    robot.type(KeyCode.ENTER);
    WaitForAsyncUtils.waitForFxEvents();
  }

  private static void waitUntil(java.util.concurrent.Callable<Boolean> c) throws Exception {
    WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, c);
    WaitForAsyncUtils.waitForFxEvents();
  }

  private static String text(FxRobot robot, String id) {
    return robot.lookup(id).queryAs(Label.class).getText();
  }

  @Test
  void analysingShowsTheMapAndClickingAnExpertListsItsTokensAndContexts(FxRobot robot)
      throws Exception {
    open(robot);
    assertEquals(topk, avm.modelProperty().get(), "the first routed model is picked");
    robot.clickOn("#analysis-pick-corpus");
    assertEquals(
        "Corpus: corpus (its subfolders are the domains)", text(robot, "#analysis-corpus"));
    typeBudget(robot, "4000");
    System.gc(); // the field's binding must outlive a collection
    assertEquals(4000, avm.tokensProperty().get());
    waitUntil(() -> avm.canRunBinding().get()); // after the window's first model has loaded
    robot.clickOn("#analysis-run");
    waitUntil(() -> text(robot, "#analysis-status").startsWith("Done"));
    AnalysisResult r = avm.resultProperty().get();
    assertEquals(4000, r.tokens(), "the typed budget");
    assertEquals(List.of("numbers", "prose"), r.domains());
    assertTrue(text(robot, "#analysis-heading").startsWith("topk on numbers, prose: 4,000 tokens"));
    assertTrue(text(robot, "#analysis-layer-summary").startsWith("Layer 0: 4 experts, top-2"));
    // Hover the map's "all" row at the last expert: the readout names its share.
    Chart use = robot.lookup("#analysis-use").queryAs(Chart.class);
    AnalysisView.Grid g =
        AnalysisView.Grid.of(use.getWidth(), use.getHeight(), avm.useMapProperty().get());
    double x = g.left() + 3.5 * g.cellW();
    double y = g.top() + 2.5 * g.cellH();
    robot.moveTo(
        use,
        javafx.geometry.Pos.TOP_LEFT,
        new javafx.geometry.Point2D(x, y),
        org.testfx.robot.Motion.DIRECT);
    WaitForAsyncUtils.waitForFxEvents();
    String readout = robot.lookup("#analysis-use-readout").queryAs(Label.class).getText();
    assertTrue(
        readout.startsWith(
            String.format(java.util.Locale.ROOT, "all, expert 3: %,d assignments", r.use(0, 3))),
        readout);
    robot.clickOn(MouseButtonPrimary.PRIMARY);
    assertEquals(3, avm.expertProperty().get());
    @SuppressWarnings("unchecked")
    TableView<AnalysisViewModel.TokenRow> table =
        robot.lookup("#analysis-expert-tokens").queryAs(TableView.class);
    assertEquals(ids(r.topTokens(0, 3, AnalysisViewModel.LISTED)), rowIds(table));
    assertFalse(table.getItems().isEmpty());
    @SuppressWarnings("unchecked")
    ListView<AnalysisViewModel.ExampleRow> examples =
        robot.lookup("#analysis-examples").queryAs(ListView.class);
    assertEquals(r.examples(0, 3).size(), examples.getItems().size());
    for (int i = 0; i < examples.getItems().size(); i++) {
      assertEquals(
          r.examples(0, 3).get(i).token().replace(' ', '\u2423'),
          examples.getItems().get(i).token());
    }
    assertFalse(robot.lookup("#analysis-example").queryAll().isEmpty(), "contexts drawn");
    // Another layer: its figures, and the clicked expert's tokens of that layer.
    choose(robot, "#analysis-layer", "layer 1 (4 experts)");
    assertEquals(1, avm.layerProperty().get());
    assertTrue(text(robot, "#analysis-layer-summary").startsWith("Layer 1:"));
    assertEquals(ids(r.topTokens(1, 3, AnalysisViewModel.LISTED)), rowIds(table));
    // Export: the tables land in the chosen folder.
    Path out = dir.resolve("tables");
    analysis.chooseExportFolder = w -> out;
    robot.clickOn("#analysis-export");
    waitUntil(() -> text(robot, "#analysis-status").startsWith("Wrote"));
    for (String f : AnalysisFiles.NAMES) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    // Another model: the result was topk's, so it goes.
    choose(robot, "#analysis-model", "dense");
    assertNull(avm.resultProperty().get());
    assertEquals("", text(robot, "#analysis-heading"));
    assertTrue(table.getItems().isEmpty());
    waitUntil(() -> avm.canRunBinding().get()); // after the window's first model has loaded
    robot.clickOn("#analysis-run");
    waitUntil(() -> !avm.runningProperty().get() && !text(robot, "#analysis-status").isEmpty());
    assertTrue(
        text(robot, "#analysis-status").contains("no routed or sparse feed-forward layer"),
        text(robot, "#analysis-status"));
    assertNull(avm.resultProperty().get());
  }

  private static List<Integer> ids(List<AnalysisResult.TokenShare> shares) {
    return shares.stream().map(AnalysisResult.TokenShare::id).toList();
  }

  private static List<Integer> rowIds(TableView<AnalysisViewModel.TokenRow> table) {
    return table.getItems().stream().map(AnalysisViewModel.TokenRow::id).toList();
  }

  /** The mouse button, named once. */
  private static final class MouseButtonPrimary {
    static final javafx.scene.input.MouseButton PRIMARY = javafx.scene.input.MouseButton.PRIMARY;
  }

  @Test
  void anImportedMixtralOverDomainFoldersPickedOneByOne(FxRobot robot) throws Exception {
    open(robot);
    choose(robot, "#analysis-model", "tiny-mixtral");
    analysis.chooseDomain = w -> corpus.resolve("prose");
    robot.clickOn("#analysis-add-domain");
    analysis.chooseDomain = w -> corpus.resolve("numbers");
    robot.clickOn("#analysis-add-domain");
    robot.clickOn("#analysis-add-domain"); // the same name again: refused, with its reason
    assertTrue(
        text(robot, "#analysis-status").contains("numbers is already one"),
        text(robot, "#analysis-status"));
    assertEquals("Domains: prose, numbers", text(robot, "#analysis-corpus"));
    typeBudget(robot, "1500");
    waitUntil(() -> avm.canRunBinding().get());
    robot.clickOn("#analysis-run");
    waitUntil(() -> text(robot, "#analysis-status").startsWith("Done"));
    AnalysisResult r = avm.resultProperty().get();
    assertEquals(List.of("prose", "numbers"), r.domains(), "in the order picked");
    assertTrue(
        text(robot, "#analysis-heading").startsWith("tiny-mixtral on prose, numbers"),
        text(robot, "#analysis-heading"));
    assertTrue(
        text(robot, "#analysis-layer-summary").startsWith("Layer 0: 4 experts, top-2"),
        text(robot, "#analysis-layer-summary"));
    long sum = 0;
    for (int e = 0; e < 4; e++) {
      sum += r.use(0, e);
    }
    assertEquals(2 * r.tokens(), sum, "k = 2 assignments per token");
    // A chip takes its domain out, and the result (of both) goes with it.
    robot.clickOn(
        robot
            .lookup("#analysis-domains .button")
            .match(n -> ((Button) n).getText().startsWith("prose"))
            .queryAs(Node.class));
    assertEquals("Domains: numbers", text(robot, "#analysis-corpus"));
    assertNull(avm.resultProperty().get());
    // A corpus folder again: the picked domains give way to its subfolders.
    robot.clickOn("#analysis-pick-corpus");
    assertTrue(avm.domains().isEmpty());
    assertEquals(
        "Corpus: corpus (its subfolders are the domains)", text(robot, "#analysis-corpus"));
  }

  @Test
  void cancelKeepsAConsistentPartialResultThatSaysHowMuchItCovers(FxRobot robot) throws Exception {
    open(robot);
    analysis.chooseCorpus = w -> big;
    robot.clickOn("#analysis-pick-corpus");
    typeBudget(robot, "2000000");
    waitUntil(() -> avm.canRunBinding().get()); // after the window's first model has loaded
    robot.clickOn("#analysis-run");
    waitUntil(() -> text(robot, "#analysis-progress-text").contains("tokens/s"));
    assertTrue(text(robot, "#analysis-progress-text").contains("left"));
    robot.clickOn("#analysis-cancel");
    waitUntil(() -> text(robot, "#analysis-status").startsWith("Cancelled"));
    AnalysisResult r = avm.resultProperty().get();
    assertFalse(r.run().complete());
    assertTrue(r.tokens() > 0 && r.tokens() < r.run().planned());
    long sum = 0;
    for (int e = 0; e < 4; e++) {
      sum += r.use(0, e);
    }
    assertEquals(2 * r.tokens(), sum, "counts of the tokens covered, k = 2 each");
    assertTrue(
        text(robot, "#analysis-heading").contains("so far"), text(robot, "#analysis-heading"));
  }
}
