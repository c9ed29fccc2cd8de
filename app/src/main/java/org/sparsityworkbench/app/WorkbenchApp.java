package org.sparsityworkbench.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javafx.application.Application;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.model.TransformerModel;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.views.MainView;
import org.sparsityworkbench.views.Styles;

/** The GUI's composition root: engine service, view model, view, window. */
public final class WorkbenchApp extends Application {
  /** System property naming the folder of bundled models (the launcher sets it). */
  public static final String MODELS_PROPERTY = "workbench.models";

  /** System property: decode once, write PNG screenshots into this folder, and exit. */
  public static final String SCREENSHOT_PROPERTY = "workbench.screenshot.out";

  /** System property: the folder name of the model to open first (screenshots of one family). */
  public static final String FIRST_MODEL_PROPERTY = "workbench.first.model";

  /** System property: measure GUI overhead and frame rate over this many tokens, then exit. */
  public static final String BENCH_PROPERTY = "workbench.bench.gui";

  /** System property: the rounds of GUI overhead measurement. */
  public static final String BENCH_ROUNDS_PROPERTY = "workbench.bench.rounds";

  /** System property: the tab shown while measuring GUI overhead. */
  public static final String BENCH_TAB_PROPERTY = "workbench.bench.tab";

  private DecodeService service;

  static void launchGui(String[] args) {
    Application.launch(WorkbenchApp.class, args);
  }

  @Override
  public void start(Stage stage) {
    service = new DecodeService();
    MainViewModel vm = new MainViewModel(service, sampleModels());
    MainView view = new MainView(vm);
    Scene scene = new Scene(view, 1400, 860);
    Styles.apply(scene);
    view.setDarkTheme("dark".equals(System.getProperty("workbench.theme")));
    stage.setTitle("Sparsity Workbench");
    stage.setScene(scene);
    stage.show();
    String bench = System.getProperty(BENCH_PROPERTY);
    if (bench != null) {
      GuiBench.run(
          vm,
          service,
          Integer.parseInt(bench),
          Integer.parseInt(System.getProperty(BENCH_ROUNDS_PROPERTY, "5")),
          scene,
          System.getProperty(BENCH_TAB_PROPERTY),
          stage::close);
    }
    String shots = System.getProperty(SCREENSHOT_PROPERTY);
    if (shots != null) {
      Screenshots.afterDecode(vm, scene, Path.of(shots), stage::close);
    }
  }

  @Override
  public void stop() {
    if (service != null) {
      service.close();
    }
  }

  private static boolean isMoe(Path dir) {
    try {
      return org.sparsityworkbench.engine.config.ModelConfig.read(
              dir.resolve(TransformerModel.CONFIG_FILE))
          .family()
          .isMoe();
    } catch (org.sparsityworkbench.engine.config.ModelFormatException e) {
      return false; // listed anyway; loading it will show the error
    }
  }

  /**
   * Model directories under the bundled models folder: the one named by {@link
   * #FIRST_MODEL_PROPERTY} first, then mixture-of-experts ones, then the rest by name.
   */
  static List<Path> sampleModels() {
    Path root = Path.of(System.getProperty(MODELS_PROPERTY, "sample-models"));
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      // Routed models first: they have the most to show on one click of Generate.
      return s.filter(p -> Files.isRegularFile(p.resolve(TransformerModel.CONFIG_FILE)))
          .sorted(
              java.util.Comparator.comparing(
                      (Path p) ->
                          !p.getFileName()
                              .toString()
                              .equals(System.getProperty(FIRST_MODEL_PROPERTY, "")))
                  .thenComparing((Path p) -> !isMoe(p))
                  .thenComparing(Path::getFileName))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
