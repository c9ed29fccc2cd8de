package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import org.sparsityworkbench.viewmodels.InterventionViewModel;
import org.sparsityworkbench.viewmodels.RoutingViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;
import org.sparsityworkbench.viewmodels.WindowStats;

/**
 * Mixture-of-experts routing: the tokens x experts map of a layer (router probability as colour,
 * the chosen experts marked), the newest token's layers x experts view, the expert load histogram
 * with its balance figures, router entropy over time, and the prompt's capacity and drops.
 */
public final class RoutingView extends BorderPane {
  private final RoutingViewModel vm;
  private final Label summary = new Label();
  private final Label hover = new Label(" ");
  private final Chart map = new Chart("routing-map", this::paintMap);
  private final Chart current = new Chart("routing-current", this::paintCurrent);
  private final Chart load = new Chart("routing-load", this::paintLoad);
  private final Chart entropy = new Chart("routing-entropy", this::paintEntropy);
  private final Shown labels = new Shown(this, this::updateLabels);
  private double cellW;
  private double mapX;

  public RoutingView(RoutingViewModel vm) {
    this.vm = vm;
    setId("routing-view");
    summary.setId("routing-summary");
    hover.setId("routing-hover");
    hover.getStyleClass().add("routing");
    Label prefill = new Label();
    prefill.setId("prefill-routing");
    prefill.getStyleClass().add("routing");
    prefill.textProperty().bind(vm.prefillRoutingProperty());
    prefill.setWrapText(true);
    prefill.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
    HBox top =
        Widgets.topRow(
            new Label("Layer"), Widgets.layerPicker(vm.shown(), "routing-layer"), summary);
    setTop(new VBox(4, top, interventionRow(vm), prefill));
    BorderPane.setMargin(getTop(), new Insets(0, 0, 6, 0));

    GridPane grid = Widgets.grid(3, 0, 55, 0, 0, 30);
    grid.add(
        Widgets.caption(map.title("Tokens x experts, newest on the right (hover a column)")),
        0,
        0,
        3,
        1);
    grid.add(map, 0, 1, 3, 1);
    grid.add(hover, 0, 2, 3, 1);
    grid.add(Widgets.caption(current.title("Newest token: layers x experts")), 0, 3);
    grid.add(Widgets.caption(load.title("Expert load in the window")), 1, 3);
    grid.add(Widgets.caption(entropy.title("Router entropy per layer (nats)")), 2, 3);
    grid.add(current, 0, 4);
    grid.add(load, 1, 4);
    grid.add(entropy, 2, 4);
    setCenter(grid);
    setBottom(
        Widgets.explanation(
            "Router (Switch Transformer, arXiv 2101.03961): p = softmax(x W_r) over the E experts."
                + " Blue: each expert's probability for each token; orange: the chosen expert(s),"
                + " Switch top-1 with gate p_i, top-k with the k gates renormalised to sum to 1"
                + " (Mixtral). Balance: load CV and max/mean of the assignments, the Switch loss"
                + " E·Σ f_i·P_i (1.0 when perfectly balanced), unused experts. Entropy H = -Σ p ln p"
                + " (max ln E): low means a peaked, confident router."));
    vm.window().addListener((ListChangeListener<TokenSnapshot>) c -> redrawAll());
    vm.shown().colourLayerProperty().subscribe(l -> redrawAll());
    map.reader(
        (x, y) -> {
          hoverAt(x);
          int i = cellW <= 0 ? -1 : (int) ((x - mapX) / cellW);
          return hover.getText().isBlank() || x < mapX
              ? null
              : new Chart.Reading(hover.getText(), mapX + i * cellW, mapX + (i + 1) * cellW);
        });
    map.canvas().setOnMouseExited(e -> hover.setText(" "));
    current.reader(this::readCurrent);
    load.reader(this::readLoad);
    entropy.reader(this::readEntropy);
    current.actions(
        (x, y) -> {
          List<TokenSnapshot> w = vm.window();
          if (w.isEmpty() || w.getLast().experts() == null || x < 28 || y >= currentH) {
            return List.of();
          }
          int e = vm.shown().routeKeyCount();
          int expert = Math.min(e - 1, (int) ((x - 28) / ((current.canvas().getWidth() - 28) / e)));
          int layers = w.getLast().layers();
          return expertActions(
              vm.intervention(), Math.min(layers - 1, (int) (y / (currentH / layers))), expert);
        });
    load.actions(
        (x, y) -> {
          List<TokenSnapshot> w = vm.window();
          if (w.isEmpty() || w.getLast().experts() == null || x < LOAD_LEFT) {
            return List.of();
          }
          int e = vm.shown().routeKeyCount();
          double barW = (load.canvas().getWidth() - 4 - LOAD_LEFT) / e;
          return expertActions(
              vm.intervention(), layer(), Math.min(e - 1, (int) ((x - LOAD_LEFT) / barW)));
        });
  }

  /** Banning or forcing an expert in a layer or in every layer; none where nothing routes. */
  static List<javafx.scene.control.MenuItem> expertActions(
      InterventionViewModel vm, int layer, int e) {
    if (e < 0 || !vm.interventionKinds().contains("ban")) {
      return List.of();
    }
    String at = layer + ":" + e;
    return List.of(
        Widgets.intervention(
            vm,
            "ban",
            at,
            "Ban expert " + e + " in layer " + layer,
            "Lift the ban on expert " + e + " in layer " + layer),
        Widgets.intervention(
            vm,
            "force",
            at,
            "Force expert " + e + " in layer " + layer,
            "Stop forcing expert " + e + " in layer " + layer),
        Widgets.intervention(
            vm,
            "ban",
            "*:" + e,
            "Ban expert " + e + " in every layer",
            "Lift the ban on expert " + e + " in every layer"));
  }

  private void redrawAll() {
    map.request();
    current.request();
    load.request();
    entropy.request();
    labels.request();
  }

  private void updateLabels() {
    List<TokenSnapshot> w = vm.window();
    int l = layer();
    WindowStats.Routing r =
        w.isEmpty() ? null : WindowStats.routing(w, l, vm.shown().routeKeyCount());
    summary.setText(r == null ? "" : balance(r, w.size()));
  }

  private int layer() {
    return Widgets.shownLayer(vm.shown(), vm.window());
  }

  /** "40 tokens · load CV 0.31 · max/mean 1.62 · aux loss 1.07 · 0 unused experts". */
  static String balance(WindowStats.Routing r, int tokens) {
    return String.format(
        Locale.ROOT,
        "%d tokens · load CV %.2f · max/mean %.2f · aux loss %s · %d unused expert%s · mean"
            + " entropy %.2f nats",
        tokens,
        r.cv(),
        r.maxOverMean(),
        Double.isNaN(r.auxLoss()) ? "n/a" : String.format(Locale.ROOT, "%.2f", r.auxLoss()),
        r.dead(),
        r.dead() == 1 ? "" : "s",
        r.meanEntropy());
  }

  private boolean noRouter(Sketch s, List<TokenSnapshot> w) {
    if (w.isEmpty()) {
      Chart.message(s, "Press Generate: the routing of every token draws here.");
      return true;
    }
    if (w.getLast().experts() == null && vm.shown().showsPatches()) {
      Chart.message(s, Widgets.MEGABYTE_ELSEWHERE);
      return true;
    }
    if (w.getLast().experts() == null) {
      Chart.message(
          s,
          "This model has no router (family "
              + familyOf()
              + "): every token uses the same feed-forward. Pick switch-top1 or top2 to see"
              + " experts; the Controller tab shows sparse FF choices.");
      return true;
    }
    return false;
  }

  private String familyOf() {
    return vm.shown().familyProperty().get();
  }

  private void paintMap(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (noRouter(s, w)) {
      return;
    }
    int l = layer();
    TokenSnapshot last = w.getLast();
    int rows = vm.shown().routeKeyCount();
    int cols = w.size();
    int[] cells = new int[rows * cols];
    for (int x = 0; x < cols; x++) {
      TokenSnapshot t = w.get(x);
      for (int y = 0; y < rows; y++) {
        float p = t.probs() == null ? 0 : t.probs()[l][y];
        boolean chosen = contains(t.experts()[l], y);
        cells[y * cols + x] = chosen ? Palette.orange(0.35 + 0.65 * p) : Palette.blue(p);
      }
    }
    double left = 36;
    double labels = 14;
    double width = s.width() - left;
    cellW = Math.min(12, width / cols);
    mapX = s.width() - cols * cellW;
    double h = s.height() - labels;
    s.cells(cells, cols, rows, mapX, 0, cols * cellW, h);
    Chart.rowLabels(s, "e", rows, 4, h);
    if (cellW >= 7) {
      for (int x = 0; x < cols; x++) {
        s.text(visible(w.get(x).label()), mapX + x * cellW + 1, s.height() - 3, 10, Palette.ink());
      }
    } else {
      s.text("← older", mapX, s.height() - 3, 10, Palette.muted());
      s.text("newest →", s.width() - 52, s.height() - 3, 10, Palette.muted());
    }
  }

  private void hoverAt(double x) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || cellW <= 0 || x < mapX) {
      hover.setText(" ");
      return;
    }
    int i = (int) ((x - mapX) / cellW);
    if (i < 0 || i >= w.size() || w.get(i).experts() == null) {
      return;
    }
    TokenSnapshot t = w.get(i);
    int l = layer();
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT, "'%s' at position %d, layer %d →", t.label(), t.position(), l));
    for (int j = 0; j < t.experts()[l].length; j++) {
      b.append(String.format(Locale.ROOT, " e%d (gate %.2f)", t.experts()[l][j], t.gates()[l][j]));
    }
    b.append(String.format(Locale.ROOT, " · entropy %.2f nats", t.entropy()[l]));
    hover.setText(b.toString());
  }

  private void paintCurrent(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().experts() == null) {
      return;
    }
    TokenSnapshot t = w.getLast();
    int layers = t.layers();
    int e = vm.shown().routeKeyCount();
    int[] cells = new int[layers * e];
    for (int l = 0; l < layers; l++) {
      for (int x = 0; x < e; x++) {
        float p = t.probs() == null ? 0 : t.probs()[l][x];
        cells[l * e + x] =
            contains(t.experts()[l], x) ? Palette.orange(0.35 + 0.65 * p) : Palette.blue(p);
      }
    }
    double left = 28;
    double bottom = 14;
    double h = s.height() - bottom;
    currentH = h;
    s.cells(cells, e, layers, left, 0, s.width() - left, h);
    double rowH = h / layers;
    for (int l = 0; l < layers; l++) {
      s.text("L" + l, 4, l * rowH + rowH / 2 + 4, 11, Palette.ink());
    }
    s.outline(left, l0(rowH), s.width() - left, rowH, Palette.ink(), 1.5);
    Chart.columnLabels(s, "e", e, left, (s.width() - left) / e, 14);
  }

  /** Top of the selected layer's row. */
  private double l0(double rowH) {
    return layer() * rowH;
  }

  private void paintLoad(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().experts() == null) {
      return;
    }
    WindowStats.Routing r = WindowStats.routing(w, layer(), vm.shown().routeKeyCount());
    int e = r.load().length;
    int max = 1;
    double mean = 0;
    for (int v : r.load()) {
      max = Math.max(max, v);
      mean += (double) v / e;
    }
    double bottom = s.height() - 14;
    double top = 28;
    double left = LOAD_LEFT;
    double barW = (s.width() - 4 - left) / e;
    Chart.yAxis(s, left, top, bottom, max, "tokens");
    for (int x = 0; x < e; x++) {
      double hh = (bottom - top) * r.load()[x] / max;
      int colour = r.load()[x] == 0 ? 0xffd64545 : Palette.orange(0.7);
      s.rect(left + x * barW + 1, bottom - hh, Math.max(1, barW - 2), hh, colour);
    }
    Chart.columnLabels(s, "e", e, left, barW, 14);
    double meanY = bottom - (bottom - top) * mean / max;
    s.line(left, meanY, s.width() - 4, meanY, Palette.muted(), 1);
    String head =
        String.format(Locale.ROOT, "max %d · mean %.1f (line) · layer %d", max, mean, layer());
    s.text(head, Math.max(34, s.width() - 4 - Chart.textWidth(head, 10)), 11, 10, Palette.ink());
  }

  private static final double LOAD_LEFT = 30;

  private double currentH;

  /** The newest token's layers x experts under the mouse: the layer, expert and probability. */
  private Chart.Reading readCurrent(double x, double y) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().experts() == null || x < 28 || y >= currentH) {
      return null;
    }
    TokenSnapshot t = w.getLast();
    int e = vm.shown().routeKeyCount();
    double colW = (current.canvas().getWidth() - 28) / e;
    int expert = Math.min(e - 1, (int) ((x - 28) / colW));
    int l = Math.min(t.layers() - 1, (int) (y / (currentH / t.layers())));
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "'%s' in layer %d: e%d p = %s%s",
            t.label(),
            l,
            expert,
            t.probs() == null ? "n/a" : String.format(Locale.ROOT, "%.3f", t.probs()[l][expert]),
            contains(t.experts()[l], expert) ? " (chosen)" : ""),
        28 + expert * colW,
        28 + (expert + 1) * colW);
  }

  /** The load histogram under the mouse: the expert and its share of the assignments. */
  private Chart.Reading readLoad(double x, double y) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().experts() == null || x < LOAD_LEFT) {
      return null;
    }
    WindowStats.Routing r = WindowStats.routing(w, layer(), vm.shown().routeKeyCount());
    int e = r.load().length;
    double barW = (load.canvas().getWidth() - 4 - LOAD_LEFT) / e;
    int i = Math.min(e - 1, (int) ((x - LOAD_LEFT) / barW));
    int total = 0;
    for (int v : r.load()) {
      total += v;
    }
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "e%d in layer %d: %d of %d assignments (%.0f%%)",
            i,
            layer(),
            r.load()[i],
            total,
            100.0 * r.load()[i] / Math.max(1, total)),
        LOAD_LEFT + i * barW,
        LOAD_LEFT + (i + 1) * barW);
  }

  /** The entropy lines under the mouse: the token and every layer's entropy. */
  private Chart.Reading readEntropy(double x, double y) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().entropy() == null) {
      return null;
    }
    int i = LatencyView.stepAt(entropy.canvas().getWidth(), x, w.size());
    if (i < 0) {
      return null;
    }
    TokenSnapshot t = w.get(i);
    StringBuilder b =
        new StringBuilder(String.format(Locale.ROOT, "token %d '%s':", t.step(), t.label()));
    for (int l = 0; l < t.layers(); l++) {
      b.append(String.format(Locale.ROOT, " L%d %.2f", l, t.entropy()[l]));
    }
    return LatencyView.column(b + " nats", entropy.canvas().getWidth(), i, w.size());
  }

  private void paintEntropy(Sketch s) {
    List<TokenSnapshot> w = vm.window();
    if (w.isEmpty() || w.getLast().entropy() == null) {
      return;
    }
    int layers = w.getLast().layers();
    double maxH = Math.log(Math.max(2, vm.shown().routeKeyCount()));
    String[] names = new String[layers];
    int[] colours = new int[layers];
    for (int l = 0; l < layers; l++) {
      names[l] = "L" + l;
      colours[l] = Palette.category(l, layers);
    }
    double left = LatencyView.LEFT;
    double top = Chart.legend(s, left, 11, names, colours) + 14;
    double bottom = s.height() - 18;
    Chart.yAxis(s, left, top, bottom, maxH, "nats");
    s.line(left, top, s.width() - 4, top, Palette.muted(), 1);
    String lnE = String.format(Locale.ROOT, "ln E = %.2f", maxH);
    s.text(lnE, s.width() - 4 - Chart.textWidth(lnE, 9), top - 3, 9, Palette.muted());
    int n = w.size();
    Chart.xAxis(s, left, s.width() - 4, bottom, n, "token");
    double[] xs = new double[n];
    double[] ys = new double[n];
    for (int l = 0; l < layers; l++) {
      for (int i = 0; i < n; i++) {
        xs[i] = LatencyView.stepX(s.width(), i, n);
        ys[i] = bottom - (bottom - top) * w.get(i).entropy()[l] / maxH;
      }
      s.polyline(xs, ys, n, Palette.category(l, layers), l == layer() ? 2.2 : 1);
    }
  }

  static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  /** A token label as drawn under a map column: a space as the open-box sign. */
  static String visible(String label) {
    return label.equals(" ") ? "\u2423" : label.length() > 2 ? "·" : label;
  }

  /**
   * Ban or force an expert of the shown layer (or of every layer), from the running decode's next
   * step on, or for the next decode; the interventions in force as chips that take themselves out.
   */
  static javafx.scene.Node interventionRow(RoutingViewModel vm) {
    // ControlsFX's check-combo box: tick one expert or several, then Ban or Force them all.
    org.controlsfx.control.CheckComboBox<Integer> expert =
        new org.controlsfx.control.CheckComboBox<>();
    expert.setId("intervene-expert");
    expert.setTitle("experts");
    expert.setShowCheckedCount(true);
    vm.intervention()
        .expertCountProperty()
        .subscribe(
            n -> {
              expert.getCheckModel().clearChecks();
              expert
                  .getItems()
                  .setAll(java.util.stream.IntStream.range(0, n.intValue()).boxed().toList());
            });
    javafx.scene.control.CheckBox every = new javafx.scene.control.CheckBox("every layer");
    every.setId("intervene-every-layer");
    javafx.scene.control.Button ban = new javafx.scene.control.Button("Ban");
    ban.setId("intervene-ban");
    ban.setTooltip(new javafx.scene.control.Tooltip("The router never chooses the experts ticked"));
    javafx.scene.control.Button force = new javafx.scene.control.Button("Force");
    force.setId("intervene-force");
    force.setTooltip(
        new javafx.scene.control.Tooltip("The router always chooses the experts ticked"));
    java.util.function.Function<String, javafx.event.EventHandler<javafx.event.ActionEvent>> add =
        kind ->
            e -> {
              String layer =
                  every.isSelected()
                      ? "*"
                      : Integer.toString(Widgets.shownLayer(vm.shown(), vm.window()));
              for (Integer x : List.copyOf(expert.getCheckModel().getCheckedItems())) {
                if (!vm.intervention().addIntervention(kind, layer + ":" + x)) {
                  return; // the error names it; the experts stay ticked to correct
                }
              }
              expert.getCheckModel().clearChecks();
            };
    ban.setOnAction(add.apply("ban"));
    force.setOnAction(add.apply("force"));
    javafx.scene.layout.FlowPane chips = new javafx.scene.layout.FlowPane(4, 4);
    chips.setId("interventions");
    Runnable showChips =
        () -> {
          chips.getChildren().clear();
          for (int i = 0; i < vm.intervention().interventionLabels().size(); i++) {
            int index = i;
            javafx.scene.control.Button chip =
                new javafx.scene.control.Button(
                    vm.intervention().interventionLabels().get(i) + "  ✕");
            chip.getStyleClass().add("intervention-chip");
            chip.setTooltip(new javafx.scene.control.Tooltip("Take this intervention out"));
            chip.setOnAction(e -> vm.intervention().removeIntervention(index));
            chips.getChildren().add(chip);
          }
        };
    vm.intervention()
        .interventionLabels()
        .addListener((javafx.collections.ListChangeListener<String>) c -> showChips.run());
    showChips.run();
    // Any other kind in its command-line form (top-k, temperature, capacity, heads, sparse ones).
    // Only the kinds the model has what they change for, and the value field filled with one that
    // fits at the layer shown: pick a kind, click Add (or edit the value first).
    javafx.scene.control.ComboBox<String> kind = new javafx.scene.control.ComboBox<>();
    kind.setId("intervene-kind");
    javafx.scene.control.TextField value = new javafx.scene.control.TextField();
    value.setId("intervene-value");
    value.setPromptText("L:X (L a layer or *)");
    value.setPrefColumnCount(9);
    Runnable offerKinds =
        () -> {
          String was = kind.getValue();
          List<String> typed =
              vm.intervention().interventionKinds().stream()
                  .filter(k -> !k.equals("ban") && !k.equals("force"))
                  .toList();
          kind.getItems().setAll(typed);
          kind.setValue(typed.contains(was) ? was : typed.isEmpty() ? null : typed.getFirst());
          value.setText(vm.intervention().interventionExample(kind.getValue()));
        };
    vm.intervention()
        .interventionKinds()
        .addListener((javafx.collections.ListChangeListener<String>) c -> offerKinds.run());
    offerKinds.run();
    kind.valueProperty().subscribe(k -> value.setText(vm.intervention().interventionExample(k)));
    vm.shown()
        .colourLayerProperty()
        .subscribe(l -> value.setText(vm.intervention().interventionExample(kind.getValue())));
    javafx.scene.control.Button addOther = new javafx.scene.control.Button("Add");
    addOther.setId("intervene-add");
    addOther.setTooltip(
        new javafx.scene.control.Tooltip(
            "As on the command line: top-k 1:3, router-temperature *:2, capacity 0:off,"
                + " head-off 1:2, force-unit 0:3:7, block-off 0:5, module-off *:1"));
    Runnable addTyped =
        () -> {
          if (kind.getValue() != null
              && vm.intervention().addIntervention(kind.getValue(), value.getText().trim())) {
            value.setText(vm.intervention().interventionExample(kind.getValue()));
          }
        };
    addOther.setOnAction(e -> addTyped.run());
    value.setOnAction(e -> addTyped.run());
    javafx.scene.control.Button clear = new javafx.scene.control.Button("Clear");
    clear.setId("intervene-clear");
    clear
        .disableProperty()
        .bind(javafx.beans.binding.Bindings.isEmpty(vm.intervention().interventionLabels()));
    clear.setOnAction(e -> vm.intervention().clearInterventions());
    Label or = new Label("or");
    HBox row =
        Widgets.topRow(
            new Label("Intervene:"),
            expert,
            every,
            ban,
            force,
            or,
            kind,
            value,
            addOther,
            clear,
            chips);
    row.setId("intervene-row");
    // Ban and Force need experts; the typed kinds (heads, sparse FF, sparse QKV) any model.
    for (javafx.scene.Node n : List.of(expert, every, ban, force, or)) {
      n.visibleProperty().bind(vm.intervention().expertCountProperty().greaterThan(0));
      n.managedProperty().bind(n.visibleProperty());
    }
    row.visibleProperty().bind(vm.shown().layerCountProperty().greaterThan(0));
    row.managedProperty().bind(row.visibleProperty());
    // In the "All views" grid the row stays out: the map needs the cell's room.
    VBox holder = new VBox(4, row, effectsPane(vm));
    holder.getStyleClass().add(Widgets.TAB_ONLY);
    return holder;
  }

  /**
   * The effect of each expert of the shown layer on one token (the one pointed at in the Decode
   * tab, else the newest): run on demand, with progress, cancellable; a table of KL and top token.
   */
  static javafx.scene.Node effectsPane(RoutingViewModel vm) {
    javafx.scene.control.Button run = new javafx.scene.control.Button("Effect of each expert");
    run.setId("effects-run");
    run.setTooltip(
        new javafx.scene.control.Tooltip(
            "Run the newest token again once per expert of this layer, each banned alone"));
    run.disableProperty().bind(vm.runningProperty().or(vm.intervention().effectsRunningProperty()));
    run.setOnAction(e -> vm.intervention().computeEffects());
    javafx.scene.control.Button cancel = new javafx.scene.control.Button("Cancel");
    cancel.setId("effects-cancel");
    cancel.disableProperty().bind(vm.intervention().effectsRunningProperty().not());
    cancel.setOnAction(e -> vm.intervention().cancelEffects());
    javafx.scene.control.ProgressBar bar = new javafx.scene.control.ProgressBar();
    bar.setId("effects-progress");
    bar.progressProperty().bind(vm.intervention().effectsProgressProperty());
    bar.visibleProperty().bind(vm.intervention().effectsRunningProperty());
    Label status = new Label();
    status.setId("effects-status");
    status.setWrapText(true);
    status.textProperty().bind(vm.intervention().effectsStatusProperty());
    javafx.scene.control.TableView<InterventionViewModel.EffectRow> table =
        new javafx.scene.control.TableView<>(vm.intervention().effects());
    table.setId("effects-table");
    table.setPrefHeight(150);
    table.setPlaceholder(new Label("Press the button: one pass per expert, each banned alone."));
    table.getColumns().add(Widgets.column("Banned", InterventionViewModel.EffectRow::expert));
    table
        .getColumns()
        .add(Widgets.column("Chosen by the token", InterventionViewModel.EffectRow::chosen));
    table.getColumns().add(Widgets.column("KL (bits)", InterventionViewModel.EffectRow::klBits));
    table
        .getColumns()
        .add(Widgets.column("Top next token then", InterventionViewModel.EffectRow::top));
    table.getColumns().add(Widgets.column("Its p", InterventionViewModel.EffectRow::topP));
    table.getColumns().add(Widgets.column("Top changed", r -> r.changed() ? "changed" : ""));
    table.setColumnResizePolicy(
        javafx.scene.control.TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
    VBox box = new VBox(4, Widgets.topRow(run, cancel, bar, status), table);
    javafx.scene.control.TitledPane pane =
        new javafx.scene.control.TitledPane("Effect of each expert on a token", box);
    pane.setId("effects-pane");
    pane.setExpanded(false);
    pane.setAnimated(false);
    return pane;
  }
}
