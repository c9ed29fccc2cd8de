package org.sparsityworkbench.views;

import javafx.scene.Node;
import javafx.scene.control.Alert;

/** The workbench's error dialog. */
final class Dialogs {
  private Dialogs() {}

  /** Shows a message in an error dialog owned by the node's window (not modal-blocking). */
  static void error(Node owner, String message) {
    Alert alert = new Alert(Alert.AlertType.ERROR, message);
    alert.setHeaderText("Something went wrong");
    alert.setTitle("Sparsity Workbench");
    if (owner.getScene() != null && owner.getScene().getWindow() != null) {
      alert.initOwner(owner.getScene().getWindow());
    }
    alert.getDialogPane().setId("error-dialog");
    alert.getDialogPane().setMinWidth(520);
    alert.show();
  }
}
