package org.sparsityworkbench.views;

import javafx.scene.Node;

/**
 * Draws a view only while the user can see it: a request made while the view is hidden (its tab not
 * selected) is remembered and carried out when the view becomes visible.
 */
final class Shown {
  private final Node owner;
  private final Runnable paint;
  private boolean stale;

  /**
   * @param owner the view whose visibility decides
   * @param paint draws the view
   */
  Shown(Node owner, Runnable paint) {
    this.owner = owner;
    this.paint = paint;
    // When an ancestor (a tab's content region) becomes visible, draw what was skipped.
    owner
        .sceneProperty()
        .subscribe(
            scene -> {
              if (scene != null) {
                for (Node p = owner.getParent(); p != null; p = p.getParent()) {
                  p.visibleProperty()
                      .subscribe(
                          visible -> {
                            if (visible && stale) {
                              request();
                            }
                          });
                }
              }
            });
  }

  /** Draws now if the view is visible, otherwise as soon as it becomes visible. */
  void request() {
    if (shown(owner)) {
      stale = false;
      paint.run();
    } else {
      stale = true;
    }
  }

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
}
