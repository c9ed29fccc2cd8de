package org.sparsityworkbench.viewmodels;

/**
 * A token's attention rows, [layer][head][position], reduced to what the attention views draw, so
 * that a window of tokens costs at most a fixed number of floats per row whatever the context:
 *
 * <ul>
 *   <li>a row of at most {@link #BLOCKS} positions whole;
 *   <li>of a longer row, the exact weights of its last {@link #TAIL} positions (every zoom but
 *       "all" shows at most the last 576 positions of the newest token, and of a window token only
 *       the part of its row inside that span, see {@code AttentionView.panelSpan}), and the maximum
 *       of every block of {@link #block()} consecutive positions with the position where it lies:
 *       the block is the smallest power of two that leaves at most {@link #BLOCKS} blocks.
 * </ul>
 *
 * The views max-pool rows into pixels. {@link #pool} gives the pixel values from this reduction:
 * the largest of the row's <em>candidates</em> (every tail position, and each block's maximum at
 * its own position when that lies before the tail) whose position is in the pixel. That equals
 * max-pooling the full row whenever every pixel edge before the tail is a multiple of the block (a
 * pixel then holds whole blocks); the view's "all" zoom chooses such pixels ({@link #pixelWidth}).
 * Immutable.
 */
public final class AttentionRows {
  /** Exact weights kept at the end of each row: the widest zoom, 512 positions, plus its step. */
  public static final int TAIL = 576;

  /** At most this many block maxima per row. */
  public static final int BLOCKS = 1024;

  private final int length;
  private final int block;
  private final int heads;
  private final float[][][] tail;
  private final float[][][] blockMax;
  private final short[][][] blockAt; // offset of the maximum within its block

  private AttentionRows(
      int length, int block, int heads, float[][][] tail, float[][][] max, short[][][] at) {
    this.length = length;
    this.block = block;
    this.heads = heads;
    this.tail = tail;
    this.blockMax = max;
    this.blockAt = at;
  }

  /** The block size for rows of this many positions: 1 up to {@link #BLOCKS}, then powers of 2. */
  public static int blockFor(int length) {
    int g = 1;
    while ((length + g - 1) / g > BLOCKS) {
      g <<= 1;
    }
    return g;
  }

  /**
   * Reduces full rows [layer][head][position] (every row of one token has the same length).
   *
   * @throws IllegalArgumentException when the rows are empty or of different lengths
   */
  public static AttentionRows of(float[][][] rows) {
    if (rows.length == 0 || rows[0].length == 0 || rows[0][0].length == 0) {
      throw new IllegalArgumentException("attention rows are empty");
    }
    int n = rows[0][0].length;
    int h = rows[0].length;
    int g = blockFor(n);
    boolean blocks = g > 1;
    int keep = blocks ? TAIL : n;
    int nb = blocks ? (n + g - 1) / g : 0;
    float[][][] tail = new float[rows.length][h][];
    float[][][] max = blocks ? new float[rows.length][h][] : null;
    short[][][] at = blocks ? new short[rows.length][h][] : null;
    for (int l = 0; l < rows.length; l++) {
      if (rows[l].length != h) {
        throw new IllegalArgumentException(
            "layer " + l + " has " + rows[l].length + " heads, layer 0 has " + h);
      }
      for (int head = 0; head < h; head++) {
        float[] row = rows[l][head];
        if (row.length != n) {
          throw new IllegalArgumentException(
              "layer " + l + " head " + head + " has " + row.length + " positions, not " + n);
        }
        tail[l][head] = java.util.Arrays.copyOfRange(row, n - keep, n);
        if (blocks) {
          float[] m = new float[nb];
          short[] a = new short[nb];
          for (int b = 0; b < nb; b++) {
            int p0 = b * g;
            int p1 = Math.min(n, p0 + g);
            int best = p0;
            for (int p = p0 + 1; p < p1; p++) {
              if (row[p] > row[best]) {
                best = p;
              }
            }
            m[b] = row[best];
            a[b] = (short) (best - p0);
          }
          max[l][head] = m;
          at[l][head] = a;
        }
      }
    }
    return new AttentionRows(n, g, h, tail, max, at);
  }

  /** Positions in each row (the token's position + 1). */
  public int length() {
    return length;
  }

  /** Layers. */
  public int layers() {
    return tail.length;
  }

  /** Heads per layer. */
  public int heads() {
    return heads;
  }

  /** Positions per block maximum (1: the whole row is kept exactly). */
  public int block() {
    return block;
  }

  /** The first position whose weight is kept exactly. */
  public int tailStart() {
    return length - tail[0][0].length;
  }

  /**
   * The exact weight at a position of the tail.
   *
   * @throws IndexOutOfBoundsException when p is not in [{@link #tailStart()}, {@link #length()})
   */
  public float weight(int layer, int head, int p) {
    int start = tailStart();
    if (p < start || p >= length) {
      throw new IndexOutOfBoundsException(
          "position " + p + " is not kept exactly (tail " + start + ".." + (length - 1) + ")");
    }
    return tail[layer][head][p - start];
  }

  /**
   * Max-pools a row over positions [from, to) into the first {@code bins} entries of out (which
   * hold 0 or earlier values to keep the larger of), bin = floor((p - from) * bins / (to - from)):
   * the largest candidate of each bin (see the class comment).
   */
  public void pool(int layer, int head, int from, int to, float[] out, int bins) {
    long span = to - from;
    candidates(
        layer,
        head,
        from,
        to,
        (p, v) -> {
          int bin = (int) ((p - from) * (long) bins / span);
          if (v > out[bin]) {
            out[bin] = v;
          }
        });
  }

  /**
   * The largest candidate with a position in [from, to), or null when there is none (the token
   * cannot see any of them): what {@link #pool} puts in a bin covering exactly those positions.
   *
   * @return {position, weight}
   */
  public double[] max(int layer, int head, int from, int to) {
    double[] best = {-1, -1};
    candidates(
        layer,
        head,
        from,
        to,
        (p, v) -> {
          if (v > best[1]) {
            best[0] = p;
            best[1] = v;
          }
        });
    return best[0] < 0 ? null : best;
  }

  private interface Candidate {
    void at(int position, float weight);
  }

  /**
   * The row's candidates with a position in [from, to): each block's maximum at its own position
   * when that lies before the tail, then every tail position.
   */
  private void candidates(int layer, int head, int from, int to, Candidate c) {
    int start = tailStart();
    if (blockMax != null && from < start) {
      float[] m = blockMax[layer][head];
      short[] a = blockAt[layer][head];
      for (int b = Math.max(0, from / block);
          b < m.length && b * block < Math.min(to, start);
          b++) {
        int p = b * block + (a[b] & 0xffff);
        if (p >= from && p < start && p < to) {
          c.at(p, m[b]);
        }
      }
    }
    float[] t = tail[layer][head];
    for (int p = Math.max(from, start); p < Math.min(to, length); p++) {
      c.at(p, t[p - start]);
    }
  }

  /**
   * The number of positions per pixel for a span of positions starting at 0 shown in at most {@code
   * pixels} pixels, rounded up to a multiple of {@code block}: pixels of this width (the span
   * padded to a whole number of them) hold whole blocks, so pooling these rows into them equals
   * pooling the full rows.
   */
  public static int pixelWidth(int span, int pixels, int block) {
    long width = Math.ceilDiv(span, (long) Math.max(1, pixels));
    return (int) (Math.ceilDiv(width, (long) block) * block);
  }

  /**
   * The size of this reduction in floats (4 bytes): weights, block maxima, and their positions at
   * half a float each. For tests and benchmarks.
   */
  public long floats() {
    long n = 0;
    for (float[][] layer : tail) {
      for (float[] row : layer) {
        n += row.length;
      }
    }
    if (blockMax != null) {
      for (float[][] layer : blockMax) {
        for (float[] row : layer) {
          n += row.length + (row.length + 1) / 2; // maxima, and their positions as shorts
        }
      }
    }
    return n;
  }
}
