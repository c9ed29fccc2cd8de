package org.sparsityworkbench.views;

import java.util.stream.IntStream;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import org.sparsityworkbench.viewmodels.MainViewModel;

/** Small controls that several views share. */
final class Widgets {
  private Widgets() {}

  /**
   * A layer picker bound to the view model's shared layer: choosing a layer in one view chooses it
   * in all (routing map, controller masks, token colours, attention).
   */
  static ComboBox<Integer> layerPicker(MainViewModel vm, String id) {
    ComboBox<Integer> box = new ComboBox<>();
    box.setId(id);
    box.setTooltip(new Tooltip("The layer shown (shared by every view)"));
    vm.layerCountProperty()
        .subscribe(
            n -> {
              box.getItems().setAll(IntStream.range(0, n.intValue()).boxed().toList());
              box.setValue(Math.min(vm.colourLayerProperty().get(), Math.max(0, n.intValue() - 1)));
            });
    vm.colourLayerProperty().subscribe(l -> box.setValue(l.intValue()));
    box.valueProperty()
        .subscribe(
            v -> {
              if (v != null && v != vm.colourLayerProperty().get()) {
                vm.colourLayerProperty().set(v);
              }
            });
    return box;
  }

  /**
   * The chosen layer, within the layers of the tokens shown (0 when none are): the index every view
   * draws.
   */
  static int shownLayer(MainViewModel vm) {
    java.util.List<org.sparsityworkbench.viewmodels.TokenSnapshot> w = vm.routingHistory();
    int l = vm.colourLayerProperty().get();
    return w.isEmpty() ? 0 : Math.max(0, Math.min(l, w.getLast().layers() - 1));
  }

  /**
   * A grid of equal-width columns whose rows take the given percent of the height, 0 for a row
   * sized by its content (a caption).
   */
  static javafx.scene.layout.GridPane grid(int columns, double... rowPercents) {
    javafx.scene.layout.GridPane grid = new javafx.scene.layout.GridPane(10, 4);
    for (int c = 0; c < columns; c++) {
      javafx.scene.layout.ColumnConstraints cc = new javafx.scene.layout.ColumnConstraints();
      cc.setPercentWidth(100.0 / columns);
      cc.setHgrow(javafx.scene.layout.Priority.ALWAYS);
      grid.getColumnConstraints().add(cc);
    }
    for (double percent : rowPercents) {
      javafx.scene.layout.RowConstraints rc = new javafx.scene.layout.RowConstraints();
      if (percent > 0) {
        rc.setPercentHeight(percent);
        rc.setVgrow(javafx.scene.layout.Priority.ALWAYS);
      }
      grid.getRowConstraints().add(rc);
    }
    return grid;
  }

  /** The short teaching text under a view: the paper and the formula. */
  static Label explanation(String text) {
    Label l = new Paragraph(text);
    l.getStyleClass().add("explanation");
    l.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
    return l;
  }

  /** A caption that names what the chart below it shows. */
  static Label caption(String text) {
    Label l = new Label(text);
    l.getStyleClass().add("caption");
    return l;
  }

  /**
   * A wrapped label that lays its text out once per width. Every frame that changes some other
   * label's text lays the view out again, and a plain wrapped label then measures its whole
   * paragraph again (twice: for its preferred and its maximum height): with every view shown that
   * was nearly half of the UI thread's time.
   */
  static final class Paragraph extends Label {
    private final java.util.Map<Double, Double> heights = new java.util.HashMap<>();

    Paragraph(String text) {
      super(text);
      setWrapText(true);
      textProperty().subscribe(heights::clear);
      fontProperty().subscribe(heights::clear);
      paddingProperty().subscribe(heights::clear);
    }

    @Override
    protected double computePrefHeight(double width) {
      Double h = heights.get(width);
      if (h == null) {
        if (heights.size() > 16) {
          heights.clear(); // widths of a window being resized
        }
        h = super.computePrefHeight(width);
        heights.put(width, h);
      }
      return h;
    }

    @Override
    protected double computeMaxHeight(double width) {
      return computePrefHeight(width); // as a label's skin does, but from the cache
    }
  }
}
