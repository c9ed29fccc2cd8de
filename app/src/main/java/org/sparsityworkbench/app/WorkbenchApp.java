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

  /** What {@code ./workbench} says, in one line, when there is no display to open a window on. */
  static final String NO_DISPLAY =
      "workbench: the GUI needs a display, and none was found (DISPLAY is not set or cannot be"
          + " opened); run it under a virtual one: xvfb-run -a -s \"-screen 0 1600x1000x24\""
          + " ./workbench (Debian: apt-get install xvfb libgtk-3-0), or render the views to PNG"
          + " with ./workbench screenshot --out DIR, which needs no display";

  /** What {@code ./workbench} says, in one line, when JavaFX cannot load GTK to open a window. */
  static final String NO_GTK =
      "workbench: the GUI needs GTK 3, which JavaFX could not load (Debian: apt-get install"
          + " libgtk-3-0); ./workbench screenshot --out DIR renders the views to PNG without it";

  static void launchGui(String[] args) {
    try {
      Application.launch(WorkbenchApp.class, args);
    } catch (UnsupportedOperationException e) {
      String m = e.getMessage() == null ? "" : e.getMessage();
      if (m.contains("DISPLAY")) {
        System.err.println(NO_DISPLAY);
      } else if (m.contains("GTK")) {
        System.err.println(NO_GTK);
      } else {
        throw e;
      }
      System.exit(1);
    }
  }

  /**
   * Renders with Monocle's headless platform and JavaFX's software pipeline instead of a window
   * system: the views are drawn and snapshot exactly as on screen, with no display at all (for
   * {@code screenshot}, in docs and CI). Call before the toolkit starts.
   */
  static void useHeadlessPlatform() {
    System.setProperty("glass.platform", "Monocle");
    System.setProperty("monocle.platform", "Headless");
    System.setProperty("prism.order", "sw");
    System.setProperty("java.awt.headless", "true");
    // Monocle's headless screen is 1280x800 unless told: the window (1400x860) must fit.
    System.setProperty("headless.geometry", "1600x1000-32");
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
