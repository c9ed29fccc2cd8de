package org.sparsityworkbench.viewmodels;

import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The Attention view's data reduction, without JavaFX: which positions the head panels span, how
 * the window's tokens and positions fall into pixels (max pooling), and what lies under the mouse.
 * The view draws what this computes; the hover reads exactly the pixel as pooled.
 */
public final class AttentionGrid {
  private AttentionGrid() {}

  /** Zoom choices: how many of the most recent positions to show (0: all). */
  public static final List<Integer> ZOOMS = List.of(0, 512, 128, 32);

  /** Pixels between two head panels. */
  public static final double GAP = 8;

  /**
   * Max-pools a row of weights over positions [from, to) into out.length bins (positions beyond the
   * row's length are empty).
   */
  public static void poolRow(float[] row, int from, int to, float[] out) {
    poolRow(row, from, to, out, out.length);
  }

  /**
   * Max-pools a row of weights over positions [from, to) into the first {@code bins} entries of out
   * (a buffer that may be longer, kept from a wider panel). Position p goes to bin floor((p - from)
   * * bins / (to - from)).
   */
  public static void poolRow(float[] row, int from, int to, float[] out, int bins) {
    int span = to - from;
    int end = Math.min(to, row.length);
    // The bin stepped instead of divided: acc = (p - from) * n, and the bin moves on each time acc
    // passes the next multiple of span (a division per weight was the view's largest cost).
    long n = bins;
    long acc = 0;
    long next = span;
    int bin = 0;
    for (int p = from; p < end; p++, acc += n) {
      while (acc >= next) {
        bin++;
        next += span;
      }
      if (row[p] > out[bin]) {
        out[bin] = row[p];
      }
    }
  }

  /**
   * The span of positions the head panels cover: all of them rounded up to a multiple of 256, or
   * the last N plus a step of N/8, and never past the model's context (0: unknown). Rounding keeps
   * the bins of a position fixed while tokens arrive, so each token's pooled rows are computed once
   * and cached.
   *
   * @return {from, span}
   */
  public static int[] panelSpan(int positions, int zoom, int context) {
    int[] span = panelSpan(positions, zoom);
    if (context > 0 && span[0] + span[1] > context) {
      // The axis never runs past the last position the model has (half a panel of a 128-context
      // model was empty when it was rounded up to 256).
      span[1] = Math.max(context - span[0], positions - span[0]);
    }
    return span;
  }

  /** {@link #panelSpan(int, int, int)} for a context of unknown length. */
  public static int[] panelSpan(int positions, int zoom) {
    if (zoom == 0) {
      return new int[] {0, Math.max(256, (positions + 255) / 256 * 256)};
    }
    int step = Math.max(1, zoom / 8);
    int from = Math.max(0, Math.floorDiv(positions - zoom, step) * step);
    return new int[] {from, zoom + step};
  }

  /**
   * The window's tokens that the panels show as rows: all of them, or when zoomed those at the
   * positions shown (older ones cannot attend to those positions: their rows would be empty).
   */
  public static List<TokenSnapshot> panelRows(List<TokenSnapshot> w, int from) {
    int first = 0;
    while (first < w.size() - 1 && w.get(first).position() < from) {
      first++;
    }
    return w.subList(first, w.size());
  }

  /**
   * How the head panels lay out the window at one size.
   *
   * @param heads panels, one per head
   * @param positions the newest token's row length (positions 0..positions-1)
   * @param from the first position on the axis
   * @param span positions on the axis (padded at zoom "all" to whole pixels of whole blocks)
   * @param axisEnd the axis' end before that padding
   * @param cols pixel columns per panel; position p in column floor((p - from) * cols / span)
   * @param gridCols panels per row of the grid
   * @param panelW a panel's width, pixels
   * @param panelH a panel's height, pixels
   * @param tokensPerRow decode steps per pixel row (k): row r holds the steps of bin firstBin + r
   * @param firstBin the bin (step / k) of the panels' first row
   * @param rows pixel rows per panel
   * @param window the window's size when laid out (a hover over an older layout reads nothing)
   */
  public record Layout(
      int heads,
      int positions,
      int from,
      int span,
      int axisEnd,
      int cols,
      int gridCols,
      double panelW,
      double panelH,
      int tokensPerRow,
      int firstBin,
      int rows,
      int window) {}

  /**
   * The layout of the window's attention at a zoom in a grid width x height; null when the newest
   * token has no attention rows.
   */
  public static Layout layout(
      List<TokenSnapshot> all, int zoom, int context, double width, double height) {
    if (all.isEmpty() || all.getLast().attentionRows() == null) {
      return null;
    }
    int h = all.getLast().attentionRows().heads();
    int positions = all.getLast().attentionRows().length();
    int[] span = panelSpan(positions, zoom, context);
    int from = span[0];
    List<TokenSnapshot> w = panelRows(all, from);
    int gridCols = (int) Math.max(1, Math.min(h, Math.round(Math.sqrt(h * width / height / 2))));
    int gridRows = (h + gridCols - 1) / gridCols;
    double panelW = (width - GAP * (gridCols - 1)) / gridCols;
    double panelH = (height - GAP * (gridRows - 1)) / gridRows;
    int axisEnd = from + span[1];
    int cols = (int) Math.max(1, Math.min(span[1], panelW));
    if (zoom == 0) {
      // Pixels of whole blocks of the rows' reductions (AttentionRows): pooling them is then
      // exactly pooling the full rows. The span is padded to a whole number of pixels.
      int block = 1;
      for (TokenSnapshot t : w) {
        if (t.attentionRows() != null) {
          block = Math.max(block, t.attentionRows().block());
        }
      }
      int pixel = AttentionRows.pixelWidth(span[1], (int) Math.max(1, panelW), block);
      cols = (int) Math.ceilDiv(span[1], (long) pixel);
      span[1] = cols * pixel;
    }
    // Rows hold k consecutive decode steps each, binned by step number, so a row keeps its tokens
    // while the window slides (the view caches finished rows as pixels).
    int k = Math.max(1, (int) Math.ceil(w.size() / Math.max(1, Math.floor(panelH))));
    int firstBin = w.getFirst().step() / k;
    int rows = w.getLast().step() / k - firstBin + 1;
    return new Layout(
        h,
        positions,
        from,
        span[1],
        axisEnd,
        cols,
        gridCols,
        panelW,
        panelH,
        k,
        firstBin,
        rows,
        all.size());
  }

  /**
   * One pixel of a head panel: head, tokens [t0, t1) of the panel rows, positions [p0, p1).
   *
   * @param x0 the pixel's left edge in the grid
   * @param width the pixel's width
   */
  public record Cell(int head, int t0, int t1, int p0, int p1, double x0, double width) {}

  /** The head whose panel lies under a point of the grid; -1 between panels or past the heads. */
  public static int headAt(Layout g, double x, double y) {
    if (g == null || g.panelW() <= 0 || x < 0 || y < 0) {
      return -1;
    }
    int col = (int) (x / (g.panelW() + GAP));
    int row = (int) (y / (g.panelH() + GAP));
    int head = row * g.gridCols() + col;
    boolean inPanel =
        x - col * (g.panelW() + GAP) < g.panelW() && y - row * (g.panelH() + GAP) < g.panelH();
    return inPanel && col < g.gridCols() && head < g.heads() ? head : -1;
  }

  /** The pixel under a point of the grid, as {@link #layout} pooled it; null outside the panels. */
  public static Cell cellAt(Layout g, List<TokenSnapshot> all, double x, double y) {
    int head = headAt(g, x, y);
    if (head < 0 || all.size() != g.window()) {
      return null;
    }
    List<TokenSnapshot> w = panelRows(all, g.from());
    int col = (int) (x / (g.panelW() + GAP));
    int row = (int) (y / (g.panelH() + GAP));
    double px = x - col * (g.panelW() + GAP);
    double py = y - row * (g.panelH() + GAP);
    int column = Math.min(g.cols() - 1, (int) (px * g.cols() / g.panelW()));
    int r = Math.min(g.rows() - 1, (int) (py * g.rows() / g.panelH()));
    int p0 = g.from() + (int) Math.ceilDiv((long) column * g.span(), (long) g.cols());
    int p1 = g.from() + (int) Math.ceilDiv((long) (column + 1) * g.span(), (long) g.cols());
    int bin = g.firstBin() + r;
    int step0 = w.getFirst().step();
    int t0 = Math.max(0, bin * g.tokensPerRow() - step0);
    int t1 = Math.min(w.size(), (bin + 1) * g.tokensPerRow() - step0);
    double cw = g.panelW() / g.cols();
    double x0 = col * (g.panelW() + GAP) + Math.floor(px / cw) * cw;
    return new Cell(head, t0, t1, p0, p1, x0, Math.max(1, cw));
  }

  /**
   * What the pixel under a point shows, in words: the largest weight of its tokens over its
   * positions in a layer, with the tokens it is between; null outside the panels.
   *
   * @param labelAt the label of a position of the context
   */
  public static String hover(
      Layout g,
      List<TokenSnapshot> all,
      int layer,
      double x,
      double y,
      IntFunction<String> labelAt) {
    Cell c = cellAt(g, all, x, y);
    if (c == null) {
      return null;
    }
    List<TokenSnapshot> w = panelRows(all, g.from());
    TokenSnapshot best = null;
    int at = -1;
    float max = -1;
    for (int t = c.t0(); t < c.t1(); t++) {
      AttentionRows a = w.get(t).attentionRows();
      double[] m = a == null ? null : a.max(layer, c.head(), c.p0(), c.p1());
      if (m != null && m[1] > max) {
        max = (float) m[1];
        at = (int) m[0];
        best = w.get(t);
      }
    }
    int positions = c.p1() - c.p0();
    int tokens = c.t1() - c.t0();
    String cell =
        (positions > 1 ? String.format(Locale.ROOT, "positions %d–%d", c.p0(), c.p1() - 1) : "")
            + (tokens > 1
                ? String.format(Locale.ROOT, "%s%d tokens", positions > 1 ? ", " : "", tokens)
                : "");
    if (best == null) {
      return String.format(
          Locale.ROOT,
          "head %d · '%s' at position %d cannot see position %d (causal)",
          c.head(),
          w.get(c.t0()).label(),
          w.get(c.t0()).position(),
          c.p0());
    }
    return String.format(
        Locale.ROOT,
        "head %d · '%s' at position %d → position %d '%s': %.3f%s",
        c.head(),
        best.label(),
        best.position(),
        at,
        labelAt.apply(at),
        max,
        cell.isEmpty() ? "" : " (the largest in this pixel: " + cell + ")");
  }
}
