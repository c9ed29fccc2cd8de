package org.sparsityworkbench.views;

/** Colours of the charts as ARGB ints: ramps for values in [0, 1] and categories for ids. */
final class Palette {
  private Palette() {}

  private static final int[] BLUE = ramp(0xfff4f6fb, 0xff1f4fb4, 256);
  private static final int[] PURPLE = ramp(0xfff7f5fb, 0xff4b2383, 256);
  private static final int[] ORANGE = ramp(0xfffbe3cf, 0xffc0480f, 256);

  private static int[] ramp(int from, int to, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      double t = i / (n - 1.0);
      out[i] = mix(from, to, t);
    }
    return out;
  }

  static int mix(int a, int b, double t) {
    int r = (int) Math.round(((a >> 16) & 0xff) * (1 - t) + ((b >> 16) & 0xff) * t);
    int g = (int) Math.round(((a >> 8) & 0xff) * (1 - t) + ((b >> 8) & 0xff) * t);
    int bl = (int) Math.round((a & 0xff) * (1 - t) + (b & 0xff) * t);
    return 0xff000000 | r << 16 | g << 8 | bl;
  }

  private static int index(double v) {
    return (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
  }

  /** Router probability (not chosen). */
  static int blue(double v) {
    return BLUE[index(v)];
  }

  /** Attention weight. */
  static int purple(double v) {
    return PURPLE[index(v)];
  }

  /**
   * The shade (0..255) an attention weight gets: proportional to its square root, so that small
   * weights stay visible. Shades grow with weights, so the largest weight has the largest shade.
   */
  static int attentionShade(float weight) {
    return index(Math.sqrt(weight));
  }

  /** The colour of a shade from {@link #attentionShade}. */
  static int purpleShade(int shade) {
    return PURPLE[shade];
  }

  /** Chosen expert, by its probability. */
  static int orange(double v) {
    return ORANGE[index(v)];
  }

  /** The i-th of n categories: hues spread evenly, alternating lightness for neighbours. */
  static int category(int i, int n) {
    double hue = (360.0 * i / Math.max(1, n) + 12) % 360;
    float brightness = i % 2 == 0 ? 0.88f : 0.72f;
    return 0xff000000 | java.awt.Color.HSBtoRGB((float) (hue / 360), 0.55f, brightness);
  }
}
