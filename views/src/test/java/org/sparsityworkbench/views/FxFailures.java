package org.sparsityworkbench.views;

import java.util.List;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

/** What the JavaFX thread throws while a test uses the window (views catch nothing for us). */
final class FxFailures {
  private FxFailures() {}

  interface Body {
    void run() throws Exception;
  }

  /** Runs body and returns the exceptions the FX thread did not catch meanwhile. */
  static List<Throwable> during(Body body) throws Exception {
    List<Throwable> uncaught = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread fx = WaitForAsyncUtils.asyncFx(Thread::currentThread).get();
    Thread.UncaughtExceptionHandler before = fx.getUncaughtExceptionHandler();
    fx.setUncaughtExceptionHandler((t, e) -> uncaught.add(e));
    try {
      body.run();
    } finally {
      fx.setUncaughtExceptionHandler(before);
    }
    return uncaught;
  }

  /** Selects every tab in turn, so that each view draws what is shown. */
  static void visitEveryTab(FxRobot robot) {
    javafx.scene.control.TabPane tabs =
        robot.lookup("#tabs").queryAs(javafx.scene.control.TabPane.class);
    for (int i = 0; i < tabs.getTabs().size(); i++) {
      int tab = i;
      robot.interact(() -> tabs.getSelectionModel().select(tab));
      WaitForAsyncUtils.waitForFxEvents();
    }
  }
}
