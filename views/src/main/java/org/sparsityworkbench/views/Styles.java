package org.sparsityworkbench.views;

import java.util.Objects;
import javafx.scene.Scene;

/** The workbench's stylesheets (from the repository's {@code assets/} folder). */
public final class Styles {
  private Styles() {}

  private static final String BASE = url("workbench.css");
  private static final String DARK = url("dark.css");

  private static String url(String name) {
    return Objects.requireNonNull(Styles.class.getResource("/assets/" + name), "assets/" + name)
        .toExternalForm();
  }

  /** Adds the workbench stylesheet (light theme) to a scene. */
  public static void apply(Scene scene) {
    scene.getStylesheets().add(BASE);
  }

  /** Switches between the light and the dark theme. */
  public static void setDark(Scene scene, boolean dark) {
    if (scene == null) {
      return;
    }
    scene.getStylesheets().remove(DARK);
    if (dark) {
      scene.getStylesheets().add(DARK);
    }
  }
}
