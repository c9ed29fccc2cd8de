package org.sparsityworkbench.views;

/**
 * The few drawing operations the workbench's charts use, so that one paint method draws both on
 * screen (a canvas) and into an SVG file. Colours are ARGB ints; coordinates are pixels from the
 * top left.
 */
interface Sketch {
  double width();

  double height();

  /** A filled rectangle. */
  void rect(double x, double y, double w, double h, int argb);

  /** An outlined rectangle. */
  void outline(double x, double y, double w, double h, int argb, double lineWidth);

  /** A straight line. */
  void line(double x1, double y1, double x2, double y2, int argb, double lineWidth);

  /** A connected line through the first n points. */
  void polyline(double[] xs, double[] ys, int n, int argb, double lineWidth);

  /** Text with its baseline at y, starting at x; size in pixels; mono for the monospaced font. */
  void text(String s, double x, double y, double size, int argb, boolean mono);

  /** Proportional text. */
  default void text(String s, double x, double y, double size, int argb) {
    text(s, x, y, size, argb, false);
  }

  /**
   * A map of cols x rows cells (row-major ARGB), stretched over the rectangle without smoothing so
   * that each cell stays a sharp block.
   */
  void cells(int[] argb, int cols, int rows, double x, double y, double w, double h);
}
