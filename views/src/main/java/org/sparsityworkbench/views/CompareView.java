package org.sparsityworkbench.views;

import java.nio.file.Path;
import java.util.List;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.TextArea;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import org.sparsityworkbench.viewmodels.CompareViewModel;
import org.sparsityworkbench.viewmodels.MainViewModel;

/**
 * Model A (the main window's) and model B side by side on the same prompt, settings and seed, with
 * the KL divergence of their next-token distributions per step.
 */
public final class CompareView extends BorderPane {
  private final Shown painter = new Shown(this, this::drawKl);
  private final CompareViewModel vm;
  private final Canvas kl = new Canvas(600, 80);

  public CompareView(MainViewModel main) {
    this.vm = main.compare();
    setId("compare-view");
    ComboBox<Path> modelB = new ComboBox<>(main.models());
    modelB.setId("compare-model");
    modelB.valueProperty().bindBidirectional(vm.modelBProperty());
    modelB.setCellFactory(l -> new NameCell());
    modelB.setButtonCell(new NameCell());
    Button run = new Button("Compare");
    run.setId("compare");
    run.disableProperty().bind(vm.canCompareBinding().not());
    run.setOnAction(e -> vm.compare());
    Label a = new Label();
    a.textProperty().bind(main.selectedModelProperty().map(p -> "A: " + p.getFileName()));
    Label summary = new Label();
    summary.setId("compare-summary");
    summary.textProperty().bind(vm.summaryProperty());
    HBox top = new HBox(8, a, new Label("B:"), modelB, run);
    top.setPadding(new Insets(4, 0, 4, 0));
    setTop(new VBox(4, top, summary));

    TextArea textA = text("compare-a");
    textA.textProperty().bind(vm.textAProperty());
    TextArea textB = text("compare-b");
    textB.textProperty().bind(vm.textBProperty());
    GridPane grid = new GridPane(8, 0);
    grid.add(textA, 0, 0);
    grid.add(textB, 1, 0);
    GridPane.setHgrow(textA, Priority.ALWAYS);
    GridPane.setHgrow(textB, Priority.ALWAYS);
    GridPane.setVgrow(textA, Priority.ALWAYS);
    setCenter(grid);

    Pane holder = new Pane(kl);
    kl.widthProperty().bind(holder.widthProperty());
    kl.heightProperty().bind(holder.heightProperty());
    holder.setPrefHeight(90);
    Label explanation =
        new Label(
            "Same prompt, sampling settings and seed; each model continues its own text. Per step,"
                + " on A's text (B reads A's tokens): agreement of the most probable next token, and"
                + " KL(p_A || p_B) in bits of the next-token distributions (the line below).");
    explanation.setWrapText(true);
    explanation.getStyleClass().add("explanation");
    setBottom(new VBox(4, holder, explanation));
    vm.klHistory().addListener((ListChangeListener<Double>) c -> painter.request());
    kl.widthProperty().subscribe(w -> painter.request());
  }

  private static TextArea text(String id) {
    TextArea t = new TextArea();
    t.setId(id);
    t.setEditable(false);
    t.setWrapText(true);
    t.getStyleClass().add("generated-text");
    return t;
  }

  private void drawKl() {
    GraphicsContext g = kl.getGraphicsContext2D();
    double w = kl.getWidth();
    double h = kl.getHeight();
    g.setFill(Color.web("#f7f8fa"));
    g.fillRect(0, 0, w, h);
    List<Double> v = vm.klHistory();
    if (v.size() < 2) {
      return;
    }
    double max = v.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    g.setStroke(Color.web("#d8703b"));
    g.setLineWidth(1.5);
    g.beginPath();
    for (int i = 0; i < v.size(); i++) {
      double x = w * i / (v.size() - 1);
      double y = h - 4 - (h - 8) * v.get(i) / Math.max(max, 1e-9);
      if (i == 0) {
        g.moveTo(x, y);
      } else {
        g.lineTo(x, y);
      }
    }
    g.stroke();
    g.setFill(Color.web("#5a6170"));
    g.fillText(String.format(java.util.Locale.ROOT, "KL max %.2f bits", max), 4, 12);
  }

  private static final class NameCell extends ListCell<Path> {
    @Override
    protected void updateItem(Path item, boolean empty) {
      super.updateItem(item, empty);
      setText(empty || item == null ? null : item.getFileName().toString());
    }
  }
}
