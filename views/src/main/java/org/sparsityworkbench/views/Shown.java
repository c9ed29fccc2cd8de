package org.sparsityworkbench.views;

import javafx.scene.Node;

/** Drawing only what the user can see: hidden tabs are not redrawn while tokens stream in. */
final class Shown {
  private Shown() {}

  /** True when the node and all its ancestors are visible in a scene. */
  static boolean shown(Node n) {
    if (n.getScene() == null) {
      return false;
    }
    for (Node p = n; p != null; p = p.getParent()) {
      if (!p.isVisible()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Runs {@code action} whenever an ancestor of the node becomes visible (a tab's content region
   * when its tab is selected), once the node is in a scene.
   */
  static void whenShown(Node n, Runnable action) {
    n.sceneProperty()
        .subscribe(
            scene -> {
              if (scene != null) {
                for (Node p = n.getParent(); p != null; p = p.getParent()) {
                  p.visibleProperty()
                      .subscribe(
                          visible -> {
                            if (visible) {
                              action.run();
                            }
                          });
                }
              }
            });
  }
}
