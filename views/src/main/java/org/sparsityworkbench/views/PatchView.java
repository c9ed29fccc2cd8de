package org.sparsityworkbench.views;

import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import org.sparsityworkbench.viewmodels.PatchFigures;
import org.sparsityworkbench.viewmodels.PatchViewModel;
import org.sparsityworkbench.viewmodels.TokenSnapshot;

/**
 * Megabyte's patch view: the byte stream cut into patches (each coloured by the global model's
 * expert for it where the global model routes), the global model's attention over patches, the
 * local model's attention inside the patch looked at, and the time of each level per step.
 */
public final class PatchView extends BorderPane {
  /** Width of one byte in the stream. */
  static final double BYTE_W = 13;

  /** Height of one row of patches in the stream. */
  static final double ROW_H = 30;

  /** Gap between patches. */
  static final double GAP = 6;

  private final PatchViewModel pm;
  private final Label summary = new Label();
  private final Chart stream = new Chart("patch-stream", this::paintStream);
  private final Chart global = new Chart("patch-global-attention", this::paintGlobal);
  private final Chart local = new Chart("patch-local-attention", this::paintLocal);
  private final Chart levels = new Chart("patch-levels", this::paintLevels);
  private final Label localCaption = Widgets.caption("");

  /** Where the stream chart drew each patch in its last paint: patch index, then x, y. */
  private double[] boxes = new double[0];

  private int firstShown;

  public PatchView(PatchViewModel pm) {
    this.pm = pm;
    setId("patch-view");
    summary.setId("patch-summary");
    HBox top =
        Widgets.topRow(
            new Label("Global layer"),
            Widgets.picker(
                "patch-global-layer",
                "The global model's layer shown",
                pm.globalLayersProperty(),
                pm.globalLayerProperty()),
            new Label("Local layer"),
            Widgets.picker(
                "patch-local-layer",
                "The local model's layer shown",
                pm.localLayersProperty(),
                pm.localLayerProperty()),
            summary);
    top.setPadding(new Insets(0, 0, 6, 0));
    setTop(top);
    GridPane grid = Widgets.grid(3, 0, 34, 0, 50);
    Label streamCaption =
        Widgets.caption(
            stream.title(
                "Bytes in patches, newest at the end (colour: the global model's expert for the"
                    + " patch, or its unit of block 0; bar: its global step, grey in the prefill;"
                    + " click a patch to look at it)"));
    grid.add(streamCaption, 0, 0, 3, 1);
    grid.add(stream, 0, 1, 3, 1);
    grid.add(
        Widgets.caption(
            global.title("Global model: patch x patch attention (row: the step of a patch)")),
        0,
        2);
    grid.add(localCaption, 1, 2);
    grid.add(
        Widgets.caption(levels.title("Time per step by level (ms): global on top of local")), 2, 2);
    grid.add(global, 0, 3);
    grid.add(local, 1, 3);
    grid.add(levels, 2, 3);
    setCenter(grid);
    setBottom(
        Widgets.explanation(
            "Megabyte (arXiv 2305.07185): the bytes are cut into patches of P. The global model"
                + " runs once per patch, at position k over the embeddings of patch k-1 (a learned"
                + " pad at k = 0), concatenated; its output, projected per byte, feeds the local"
                + " model, which predicts the P bytes of patch k one by one from the byte before"
                + " (a pad at the first) and attends only inside the patch. So the expensive global"
                + " step is rare (one step in P) and the cheap local step runs at every byte."));
    stream.reader(this::readStream);
    // Right-click a patch: ban or force the expert its global step chose, in that layer or all.
    stream.actions(
        (x, y) ->
            RoutingView.expertActions(
                pm.intervention(),
                pm.globalLayerProperty().get(),
                pm.figures().expert(patchAt(x, y), pm.globalLayerProperty().get())));
    global.reader(this::readGlobal);
    local.reader(this::readLocal);
    levels.reader(this::readLevels);
    stream.addEventHandler(
        javafx.scene.input.MouseEvent.MOUSE_CLICKED,
        e -> {
          if (e.getButton() == javafx.scene.input.MouseButton.PRIMARY) {
            select(patchAt(e.getX(), e.getY()));
          }
        });
    pm.tokens().addListener((ListChangeListener<TokenSnapshot>) c -> redrawAll());
    pm.inspectedProperty().subscribe(t -> redrawAll());
    pm.globalLayerProperty().subscribe(l -> redrawAll());
    pm.localLayerProperty().subscribe(l -> redrawAll());
    redrawAll();
  }

  private void redrawAll() {
    PatchFigures f = pm.figures();
    summary.setText(f.available() ? f.levelSummary() : "");
    int k = pm.shownPatch();
    localCaption.setText(
        local.title(
            f.available()
                ? "Local model: attention inside patch " + k + " (row: the step of a byte)"
                : "Local model: attention inside a patch"));
    stream.request();
    global.request();
    local.request();
    levels.request();
  }

  private void select(int patch) {
    if (patch >= 0) {
      pm.select(patch);
    }
  }

  private static final String NOTHING =
      "Load a Megabyte model and generate: its bytes, patch by patch, draw here.";

  /** One glyph for a byte: the character, ␣ for a space, ⏎ for a newline, · otherwise. */
  static String glyph(String label) {
    if (label.equals(" ")) {
      return "\u2423";
    }
    if (label.equals("<0x0A>") || label.equals("\n")) {
      return "\u23ce";
    }
    return label.codePointCount(0, label.length()) == 1 ? label : "\u00b7";
  }

  private double patchWidth() {
    return pm.figures().patchSize() * BYTE_W;
  }

  private int perRow(double width) {
    return (int) Math.max(1, Math.floor((width - 4) / (patchWidth() + GAP)));
  }

  private void paintStream(Sketch s) {
    PatchFigures f = pm.figures();
    if (!f.available()) {
      Chart.message(s, NOTHING);
      boxes = new double[0];
      return;
    }
    int p = f.patchSize();
    int patches = f.patches() + (f.bytes() % p == 0 ? 1 : 0); // the patch being predicted
    int perRow = perRow(s.width());
    int rowsFit = (int) Math.max(1, Math.floor((s.height() - 4) / ROW_H));
    int rows = (patches + perRow - 1) / perRow;
    int firstRow = Math.max(0, rows - rowsFit);
    firstShown = firstRow * perRow;
    int shown = pm.shownPatch();
    int layer = pm.globalLayerProperty().get();
    int experts = Math.max(1, pm.shown().routeKeyCount());
    boolean routed = f.routed();
    boxes = new double[3 * Math.max(0, patches - firstShown)];
    for (int k = firstShown; k < patches; k++) {
      int i = k - firstShown;
      double x = 4 + (i % perRow) * (patchWidth() + GAP);
      double y = 4 + (i / perRow) * ROW_H;
      boxes[3 * i] = k;
      boxes[3 * i + 1] = x;
      boxes[3 * i + 2] = y;
      int e = f.route(k, layer);
      int fill = routed && e >= 0 ? Palette.soft(Palette.category(e, experts)) : Palette.empty();
      s.rect(x, y + 4, patchWidth(), ROW_H - 10, fill);
      if (f.globalRecorded(k)) {
        // Its global step: solid where it ran in a step of the decode, muted in the prefill.
        s.rect(x, y, patchWidth(), 3, f.globalInPrefill(k) ? Palette.muted() : Palette.accent());
      }
      for (int b = 0; b < p; b++) {
        int pos = k * p + b;
        if (pos < f.bytes()) {
          s.text(glyph(f.label(pos)), x + b * BYTE_W + 2, y + ROW_H - 11, 12, Palette.ink(), true);
        } else if (pos == f.bytes()) {
          s.outline(x + b * BYTE_W + 1, y + 6, BYTE_W - 2, ROW_H - 14, Palette.muted(), 1);
        }
      }
      if (k == shown) {
        s.outline(x - 1, y + 3, patchWidth() + 2, ROW_H - 8, Palette.ink(), 2);
      }
    }
  }

  private int patchAt(double x, double y) {
    for (int i = 0; i + 2 < boxes.length; i += 3) {
      double bx = boxes[i + 1];
      double by = boxes[i + 2];
      if (x >= bx && x < bx + patchWidth() && y >= by && y < by + ROW_H) {
        return (int) boxes[i];
      }
    }
    return -1;
  }

  private Chart.Reading readStream(double x, double y) {
    PatchFigures f = pm.figures();
    int k = patchAt(x, y);
    if (!f.available() || k < 0) {
      return null;
    }
    int p = f.patchSize();
    StringBuilder t =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "patch %d, bytes %d..%d: '%s'",
                k,
                k * p,
                k * p + p - 1,
                f.text(k).replace("\n", "\u23ce")));
    if (!f.globalRecorded(k)) {
      t.append(
          f.globalInPrefill(k) ? " · global step in the prefill (not recorded)" : " · not reached");
    } else {
      t.append(
          String.format(
              Locale.ROOT,
              " · global step%s %.2f ms",
              f.globalInPrefill(k) ? " in the prefill," : "",
              f.globalMs(k)));
      int e = f.route(k, pm.globalLayerProperty().get());
      if (e >= 0) {
        t.append(" · layer ")
            .append(pm.globalLayerProperty().get())
            .append(": ")
            .append(f.routeKind().equals("unit") ? "unit " + e + " of block 0" : "expert " + e);
      }
    }
    return new Chart.Reading(t.toString(), 0, 0);
  }

  private static final double LEFT = 30;
  private static final double BOTTOM = 16;

  /** Cells of a square map over the chart, returning its cell size. */
  private static double square(Sketch s, double[][] m, int marked, boolean columnNumbers) {
    int n = m.length;
    double size = Math.min(s.width() - LEFT - 4, s.height() - BOTTOM - 4);
    double cell = size / Math.max(1, n);
    int[] argb = new int[n * n];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < n; c++) {
        double v = m[r][c];
        argb[r * n + c] =
            Double.isNaN(v)
                ? Palette.empty()
                : Palette.purpleShade(Palette.attentionShade((float) v));
      }
    }
    s.cells(argb, n, n, LEFT, 4, cell * n, cell * n);
    if (marked >= 0 && marked < n) {
      s.outline(LEFT, 4 + marked * cell, cell * n, cell, Palette.accent(), 2);
    }
    int every = cell >= 12 ? 1 : (int) Math.ceil(12 / Math.max(cell, 0.1));
    for (int i = 0; i < n; i += every) {
      s.text(Integer.toString(i), 2, 4 + i * cell + cell / 2 + 4, 9, Palette.ink());
      if (columnNumbers) {
        s.text(Integer.toString(i), LEFT + i * cell + 1, 4 + n * cell + 12, 9, Palette.ink());
      }
    }
    return cell;
  }

  private void paintGlobal(Sketch s) {
    PatchFigures f = pm.figures();
    if (!f.available()) {
      Chart.message(s, NOTHING);
      return;
    }
    double[][] m = f.globalAttention(pm.globalLayerProperty().get());
    if (m.length == 0 || f.globalLayers() == 0) {
      Chart.message(s, "No global step yet: it runs when a patch begins.");
      return;
    }
    square(s, m, pm.shownPatch(), true);
  }

  private int[] cellAt(Chart c, int n, double x, double y) {
    double size = Math.min(c.getWidth() - LEFT - 4, c.getHeight() - BOTTOM - 4);
    double cell = size / Math.max(1, n);
    int col = (int) Math.floor((x - LEFT) / cell);
    int row = (int) Math.floor((y - 4) / cell);
    return col < 0 || row < 0 || col >= n || row >= n ? null : new int[] {row, col};
  }

  private Chart.Reading readGlobal(double x, double y) {
    PatchFigures f = pm.figures();
    if (!f.available()) {
      return null;
    }
    double[][] m = f.globalAttention(pm.globalLayerProperty().get());
    int[] rc = cellAt(global, m.length, x, y);
    if (rc == null) {
      return null;
    }
    double v = m[rc[0]][rc[1]];
    if (Double.isNaN(v)) {
      return new Chart.Reading(
          rc[1] > rc[0]
              ? "causal: patch " + rc[0] + "'s step cannot see position " + rc[1]
              : "patch " + rc[0] + "'s global step ran in the prefill (not recorded)",
          0,
          0);
    }
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "patch %d's global step → position %d (reads %s): %.3f (mean over heads)",
            rc[0],
            rc[1],
            rc[1] == 0 ? "the pad" : "patch " + (rc[1] - 1) + " '" + f.globalInput(rc[1]) + "'",
            v),
        0,
        0);
  }

  private void paintLocal(Sketch s) {
    PatchFigures f = pm.figures();
    if (!f.available()) {
      Chart.message(s, NOTHING);
      return;
    }
    if (f.localLayers() == 0) {
      Chart.message(s, "This decode ran without full telemetry: no attention.");
      return;
    }
    int k = pm.shownPatch();
    double[][] m = f.localAttention(k, pm.localLayerProperty().get());
    double cell = square(s, m, -1, false);
    if (cell >= 9) {
      // The inputs under their columns: the pad, then the bytes of the patch.
      for (int q = 0; q < m.length; q++) {
        if (f.localInput(k, q).isEmpty()) {
          continue; // a position the decode has not reached
        }
        s.text(
            glyph(f.localInput(k, q).equals("pad") ? "\u2205" : f.localInput(k, q)),
            LEFT + q * cell + cell / 2 - 3,
            4 + m.length * cell + 12,
            10,
            Palette.muted(),
            true);
      }
    }
  }

  private Chart.Reading readLocal(double x, double y) {
    PatchFigures f = pm.figures();
    if (!f.available() || f.localLayers() == 0) {
      return null;
    }
    int k = pm.shownPatch();
    double[][] m = f.localAttention(k, pm.localLayerProperty().get());
    int[] rc = cellAt(local, m.length, x, y);
    if (rc == null) {
      return null;
    }
    double v = m[rc[0]][rc[1]];
    int predicted = k * f.patchSize() + rc[0];
    String what =
        predicted < f.bytes() ? "'" + f.label(predicted) + "'" : "the next byte (not known yet)";
    if (Double.isNaN(v)) {
      return new Chart.Reading(
          rc[1] > rc[0]
              ? "causal: byte " + rc[0] + " of the patch cannot see position " + rc[1]
              : "no recorded local step here: the prefill runs the local model over the"
                  + " prompt's last patch only (recorded when it runs step by step)",
          0,
          0);
    }
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "predicting %s (byte %d of patch %d) → position %d (reads %s): %.3f (mean over heads)",
            what,
            rc[0],
            k,
            rc[1],
            rc[1] == 0 ? "the pad" : "'" + f.localInput(k, rc[1]) + "'",
            v),
        0,
        0);
  }

  /** Width of one step's bar in the time chart. */
  static final double BAR = 4;

  private int[] levelRange(double width) {
    int n = pm.figures().stepCount();
    int fit = (int) Math.max(1, Math.floor((width - LEFT - 8) / BAR));
    return new int[] {Math.max(0, n - fit), n};
  }

  private void paintLevels(Sketch s) {
    PatchFigures f = pm.figures();
    if (!f.available()) {
      Chart.message(s, NOTHING);
      return;
    }
    double[][] t = f.levelTimes();
    int[] r = levelRange(s.width());
    double max = 0;
    for (int i = r[0]; i < r[1]; i++) {
      max = Math.max(max, (t[0][i] + t[1][i]) / 1e3);
    }
    max = Math.max(max, 1e-3);
    double top = 20;
    double bottom = s.height() - BOTTOM;
    int globalColour = Palette.orange(0.8);
    int localColour = Palette.blue(0.7);
    Chart.legend(
        s,
        LEFT,
        12,
        new String[] {"global model", "local model"},
        new int[] {globalColour, localColour});
    Chart.yAxis(s, LEFT, top, bottom, max, "ms");
    for (int i = r[0]; i < r[1]; i++) {
      double x = LEFT + 2 + (i - r[0]) * BAR;
      double hl = (bottom - top) * t[1][i] / 1e3 / max;
      double hg = (bottom - top) * t[0][i] / 1e3 / max;
      s.rect(x, bottom - hl, BAR - 1, hl, localColour);
      if (hg > 0) {
        s.rect(x, bottom - hl - hg, BAR - 1, hg, globalColour);
      }
    }
    Chart.xAxis(s, LEFT, LEFT + 2 + (r[1] - r[0]) * BAR, bottom, r[1] - r[0], "step");
  }

  private Chart.Reading readLevels(double x, double y) {
    PatchFigures f = pm.figures();
    if (!f.available()) {
      return null;
    }
    int[] r = levelRange(levels.getWidth());
    int i = r[0] + (int) Math.floor((x - LEFT - 2) / BAR);
    if (i < r[0] || i >= r[1]) {
      return null;
    }
    double[][] t = f.levelTimes();
    double x0 = LEFT + 2 + (i - r[0]) * BAR;
    return new Chart.Reading(
        String.format(
            Locale.ROOT,
            "%s: local %.2f ms%s",
            f.stepLabel(i),
            t[1][i] / 1e3,
            t[0][i] > 0 ? String.format(Locale.ROOT, ", global %.2f ms", t[0][i] / 1e3) : ""),
        x0,
        x0 + BAR);
  }
}
