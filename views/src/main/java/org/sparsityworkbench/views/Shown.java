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

  /** Runs {@code redraw} whenever the node's container (its tab's content) becomes visible. */
  static void redrawWhenShown(Node n, Runnable redraw) {
    n.parentProperty()
        .subscribe(
            parent -> {
              if (parent != null) {
                parent
                    .visibleProperty()
                    .subscribe(
                        visible -> {
                          if (visible) {
                            redraw.run();
                          }
                        });
              }
            });
  }
}
