package org.sparsityworkbench.views;

import java.util.List;
import java.util.stream.IntStream;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import org.sparsityworkbench.viewmodels.MainViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Attention of a layer: the newest token's row for every head (heads x positions), and one head's
 * pattern over the recent tokens (tokens x positions, causal, so the upper right stays empty).
 * Darker is more weight. One pixel per cell, scaled without smoothing.
 */
public final class AttentionView extends BorderPane {
  private final Shown painter = new Shown(this, this::redraw);
  private final MainViewModel vm;
  private final ComboBox<Integer> layer = new ComboBox<>();
  private final ComboBox<Integer> head = new ComboBox<>();
  private final Canvas current = new Canvas(600, 90);
  private final Canvas pattern = new Canvas(600, 240);
  private final Label info = new Label();

  public AttentionView(MainViewModel vm) {
    this.vm = vm;
    setId("attention-view");
    info.setId("attention-info");
    layer.valueProperty().subscribe(v -> painter.request());
    head.valueProperty().subscribe(v -> painter.request());
    HBox top = new HBox(8, new Label("Layer"), layer, new Label("Head"), head, info);
    top.setPadding(new Insets(4, 0, 4, 0));
    setTop(top);
    Label explanation =
        new Label(
            "Causal attention: A = softmax(q K^T / sqrt(h)) over positions 0..p. Top: the newest"
                + " token's weights in every head (one row per head). Bottom: the selected head"
                + " for the recent tokens (one row per token, oldest first).");
    explanation.setWrapText(true);
    explanation.getStyleClass().add("explanation");
    VBox maps = new VBox(6, holder(current, 70), holder(pattern, 160), explanation);
    setCenter(maps);
    vm.routingHistory().addListener((ListChangeListener<TokenSnapshot>) c -> painter.request());
  }

  private Pane holder(Canvas c, double minHeight) {
    Pane p = new Pane(c);
    c.widthProperty().bind(p.widthProperty());
    c.heightProperty().bind(p.heightProperty());
    c.widthProperty().subscribe(w -> painter.request());
    c.heightProperty().subscribe(h -> painter.request());
    p.setMinHeight(minHeight);
    p.setPrefHeight(minHeight * 1.5);
    return p;
  }

  private void redraw() {
    clear(current);
    clear(pattern);
    List<TokenSnapshot> tokens = vm.routingHistory();
    if (tokens.isEmpty() || tokens.getLast().attention() == null) {
      info.setText("decode to see attention");
      return;
    }
    float[][][] last = tokens.getLast().attention();
    if (layer.getItems().size() != last.length) {
      layer.getItems().setAll(IntStream.range(0, last.length).boxed().toList());
      layer.setValue(0);
    }
    if (head.getItems().size() != last[0].length) {
      head.getItems().setAll(IntStream.range(0, last[0].length).boxed().toList());
      head.setValue(0);
    }
    int l = layer.getValue() == null ? 0 : layer.getValue();
    int h = head.getValue() == null ? 0 : head.getValue();
    float[][] rows = last[l];
    int positions = rows[0].length;
    info.setText("newest token at position " + (positions - 1) + ", " + rows.length + " heads");
    draw(current, rows, positions);
    int shown = Math.min(tokens.size(), 256);
    float[][] hist = new float[shown][];
    for (int i = 0; i < shown; i++) {
      TokenSnapshot t = tokens.get(tokens.size() - shown + i);
      hist[i] = t.attention() == null ? new float[0] : t.attention()[l][h];
    }
    draw(pattern, hist, positions);
  }

  private static void clear(Canvas c) {
    GraphicsContext g = c.getGraphicsContext2D();
    g.setFill(Color.web("#f7f8fa"));
    g.fillRect(0, 0, c.getWidth(), c.getHeight());
  }

  /** Rows of weights, aligned left by position, as an image scaled to the canvas. */
  private static void draw(Canvas c, float[][] rows, int width) {
    if (rows.length == 0 || width == 0 || c.getWidth() < 2 || c.getHeight() < 2) {
      return;
    }
    WritableImage image = new WritableImage(width, rows.length);
    PixelWriter px = image.getPixelWriter();
    for (int y = 0; y < rows.length; y++) {
      for (int x = 0; x < width; x++) {
        double w = x < rows[y].length ? Math.min(1, Math.sqrt(rows[y][x])) : 0;
        px.setColor(x, y, Color.hsb(262, w, 1 - 0.55 * w));
      }
    }
    GraphicsContext g = c.getGraphicsContext2D();
    g.setImageSmoothing(false);
    g.drawImage(image, 0, 0, c.getWidth(), c.getHeight());
  }
}
