package org.sparsityworkbench.viewmodels;

/**
 * A map as a view draws it: row and column labels, one value per cell, how values become colours,
 * and what the mouse reads over each cell. NaN marks a cell with nothing in it.
 *
 * @param rows row labels, top to bottom
 * @param columnPrefix prefix of the column labels (the label of column j is prefix + j)
 * @param values [rows][columns]
 * @param scale how the view colours a value
 * @param readings what the readout says over each cell, [rows][columns]
 * @param marked the column outlined as selected, or -1
 * @param selectable whether clicking a column selects it ({@link AnalysisViewModel#click})
 */
public record HeatMap(
    String[] rows,
    String columnPrefix,
    double[][] values,
    Scale scale,
    String[][] readings,
    int marked,
    boolean selectable) {

  /** How values become colours. */
  public enum Scale {
    /** A ratio to an even split: diverging around 1 on a log2 scale (0.25 .. 4). */
    RATIO,
    /** A share 0..1. */
    SHARE,
    /** Relative to the map's largest value. */
    RELATIVE
  }

  public int rowCount() {
    return values.length;
  }

  public int columnCount() {
    return values.length == 0 ? 0 : values[0].length;
  }

  /** The map's largest finite value (0 when none). */
  public double max() {
    double m = 0;
    for (double[] r : values) {
      for (double v : r) {
        if (Double.isFinite(v)) {
          m = Math.max(m, v);
        }
      }
    }
    return m;
  }
}
