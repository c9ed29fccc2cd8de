package org.sparsityworkbench.views;

import java.util.Objects;
import javafx.scene.Scene;

/** The workbench's stylesheets (from the repository's {@code assets/} folder). */
public final class Styles {
  private Styles() {}

  /** Adds the workbench stylesheet to a scene. */
  public static void apply(Scene scene) {
    scene
        .getStylesheets()
        .add(
            Objects.requireNonNull(
                    Styles.class.getResource("/assets/workbench.css"), "assets/workbench.css")
                .toExternalForm());
  }
}
