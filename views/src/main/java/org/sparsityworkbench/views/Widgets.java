package org.sparsityworkbench.views;

import java.util.stream.IntStream;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import org.sparsityworkbench.viewmodels.InterventionViewModel;
import org.sparsityworkbench.viewmodels.ShownModel;

/** Small controls that several views share. */
final class Widgets {
  private Widgets() {}

  /** Style class of what a view shows in its tab but not in the "All views" grid. */
  static final String TAB_ONLY = "tab-only";

  /**
   * A layer picker bound to the view model's shared layer: choosing a layer in one view chooses it
   * in all (routing map, controller masks, token colours, attention).
   */
  static ComboBox<Integer> layerPicker(ShownModel shown, String id) {
    return picker(
        id,
        "The layer shown (shared by every view)",
        shown.layerCountProperty(),
        shown.colourLayerProperty());
  }

  /** A picker of 0..count-1 bound both ways to a chosen index (kept within the count). */
  static ComboBox<Integer> picker(
      String id,
      String tooltip,
      javafx.beans.value.ObservableValue<Number> count,
      javafx.beans.property.IntegerProperty chosen) {
    ComboBox<Integer> box = new ComboBox<>();
    box.setId(id);
    box.setTooltip(new Tooltip(tooltip));
    count.subscribe(
        n -> {
          box.getItems().setAll(IntStream.range(0, n.intValue()).boxed().toList());
          box.setValue(Math.min(chosen.get(), Math.max(0, n.intValue() - 1)));
        });
    chosen.subscribe(l -> box.setValue(l.intValue()));
    box.valueProperty()
        .subscribe(
            v -> {
              if (v != null && v != chosen.get()) {
                chosen.set(v);
              }
            });
    return box;
  }

  /**
   * The chosen layer, within the layers of the tokens shown (0 when none are): the index every view
   * draws.
   */
  static int shownLayer(
      ShownModel shown, java.util.List<org.sparsityworkbench.viewmodels.TokenSnapshot> w) {
    int l = shown.colourLayerProperty().get();
    return w.isEmpty() ? 0 : Math.max(0, Math.min(l, w.getLast().layers() - 1));
  }

  /**
   * A grid of equal-width columns whose rows take the given percent of the height, 0 for a row
   * sized by its content (a caption). When the content rows leave less than that (a short cell of
   * "All views", wrapped captions), the other rows share what is left in the same proportions, so
   * the grid never runs out of its view.
   */
  static javafx.scene.layout.GridPane grid(int columns, double... rowPercents) {
    javafx.scene.layout.GridPane grid =
        new javafx.scene.layout.GridPane(10, 4) {
          @Override
          protected void layoutChildren() {
            fitRows(this, columns, rowPercents);
            super.layoutChildren();
          }
        };
    for (int c = 0; c < columns; c++) {
      javafx.scene.layout.ColumnConstraints cc = new javafx.scene.layout.ColumnConstraints();
      cc.setPercentWidth(100.0 / columns);
      cc.setHgrow(javafx.scene.layout.Priority.ALWAYS);
      grid.getColumnConstraints().add(cc);
    }
    for (double percent : rowPercents) {
      javafx.scene.layout.RowConstraints rc = new javafx.scene.layout.RowConstraints();
      if (percent > 0) {
        rc.setMinHeight(0);
        rc.setVgrow(javafx.scene.layout.Priority.ALWAYS);
      }
      grid.getRowConstraints().add(rc);
    }
    return grid;
  }

  /** Sizes the percent rows of a {@link #grid} for its current size (before its layout pass). */
  private static void fitRows(
      javafx.scene.layout.GridPane grid, int columns, double[] rowPercents) {
    javafx.geometry.Insets in = grid.getInsets();
    double width = grid.getWidth() - in.getLeft() - in.getRight();
    double available =
        grid.getHeight() - in.getTop() - in.getBottom() - grid.getVgap() * (rowPercents.length - 1);
    double columnW = (width - grid.getHgap() * (columns - 1)) / columns;
    double[] content = new double[rowPercents.length];
    for (javafx.scene.Node n : grid.getChildren()) {
      if (!n.isManaged()) {
        continue;
      }
      Integer row = javafx.scene.layout.GridPane.getRowIndex(n);
      int r = row == null ? 0 : row;
      if (r < rowPercents.length && rowPercents[r] <= 0) {
        Integer span = javafx.scene.layout.GridPane.getColumnSpan(n);
        double w =
            columnW * (span == null ? 1 : span) + grid.getHgap() * ((span == null ? 1 : span) - 1);
        content[r] = Math.max(content[r], n.prefHeight(w));
      }
    }
    double fixed = 0;
    double percents = 0;
    for (int r = 0; r < rowPercents.length; r++) {
      fixed += content[r];
      percents += Math.max(0, rowPercents[r]);
    }
    double left = Math.max(0, available - fixed);
    double scale = Math.min(available / 100, percents > 0 ? left / percents : 0);
    for (int r = 0; r < rowPercents.length; r++) {
      if (rowPercents[r] > 0) {
        javafx.scene.layout.RowConstraints rc = grid.getRowConstraints().get(r);
        double h = Math.max(0, Math.floor(rowPercents[r] * scale));
        rc.setPrefHeight(h);
        rc.setMaxHeight(h);
      }
    }
  }

  /**
   * What a per-token view says for a Megabyte decode: its bytes have no layers of their own; the
   * global model's routing and attention are per patch, in the Patches tab.
   */
  static final String MEGABYTE_ELSEWHERE =
      "Megabyte: a byte has no layers of its own. The global model's routing and its attention over"
          + " patches, and the local attention inside a patch, are in the Patches tab.";

  /** The short teaching text under a view: the paper and the formula. */
  static Label explanation(String text) {
    Label l = new Paragraph(text);
    l.getStyleClass().add("explanation");
    l.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
    return l;
  }

  /** A caption that names what the chart below it shows; it wraps in a narrow cell. */
  static Label caption(String text) {
    Label l = new Label(text);
    l.getStyleClass().add("caption");
    l.setWrapText(true);
    l.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
    return l;
  }

  /**
   * A view's top row: labels and pickers at their own width (never cut to "..."), and a last label
   * (the view's figures) that takes the rest of the row and wraps when the view is narrow (a cell
   * of "All views").
   */
  static javafx.scene.layout.HBox topRow(javafx.scene.Node... nodes) {
    javafx.scene.layout.HBox row = new javafx.scene.layout.HBox(8, nodes);
    row.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
    for (int i = 0; i < nodes.length; i++) {
      if (i == nodes.length - 1 && nodes[i] instanceof Label figures) {
        figures.setWrapText(true);
        figures.setMinWidth(60);
        figures.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
        figures.setMaxWidth(Double.MAX_VALUE);
        javafx.scene.layout.HBox.setHgrow(figures, javafx.scene.layout.Priority.ALWAYS);
      } else if (nodes[i] instanceof javafx.scene.layout.Region r) {
        r.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
      }
    }
    return row;
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

  /** Shows a model directory by its folder name (model pickers). */
  static final class PathCell extends javafx.scene.control.ListCell<java.nio.file.Path> {
    @Override
    protected void updateItem(java.nio.file.Path item, boolean empty) {
      super.updateItem(item, empty);
      setText(empty || item == null ? null : item.getFileName().toString());
    }
  }

  /** A read-only, unsortable table column of text taken from each row. */
  static <T> javafx.scene.control.TableColumn<T, String> column(
      String name, java.util.function.Function<T, String> text) {
    javafx.scene.control.TableColumn<T, String> c = new javafx.scene.control.TableColumn<>(name);
    c.setCellValueFactory(
        d -> new javafx.beans.property.SimpleStringProperty(text.apply(d.getValue())));
    c.setSortable(false);
    return c;
  }

  /**
   * A right-click entry that adds an intervention, or takes it back out when it is in force; its
   * text is {@code add} or {@code remove} with the command-line form after it.
   */
  static javafx.scene.control.MenuItem intervention(
      InterventionViewModel vm, String kind, String value, String add, String remove) {
    javafx.scene.control.MenuItem item =
        new javafx.scene.control.MenuItem(
            (vm.hasIntervention(kind, value) ? remove : add) + "   (" + kind + " " + value + ")");
    item.setId("intervene-menu-" + kind + "-" + value.replace('*', 'A').replace(':', '-'));
    item.setOnAction(e -> vm.toggleIntervention(kind, value));
    return item;
  }

  /** Turning a head off in the layer shown or in every layer; none for no head. */
  static java.util.List<javafx.scene.control.MenuItem> headActions(
      InterventionViewModel vm, int layer, int head) {
    if (head < 0 || !vm.interventionKinds().contains("head-off")) {
      return java.util.List.of();
    }
    return java.util.List.of(
        intervention(
            vm,
            "head-off",
            layer + ":" + head,
            "Turn head " + head + " of layer " + layer + " off",
            "Turn head " + head + " of layer " + layer + " back on"),
        intervention(
            vm,
            "head-off",
            "*:" + head,
            "Turn head " + head + " off in every layer",
            "Turn head " + head + " back on in every layer"));
  }
}
