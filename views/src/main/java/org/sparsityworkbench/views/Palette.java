package org.sparsityworkbench.views;

/** Colours of the charts as ARGB ints: ramps for values in [0, 1] and categories for ids. */
final class Palette {
  private Palette() {}

  private static final int[] BLUE_LIGHT = ramp(0xfff4f6fb, 0xff1f4fb4, 256);
  private static final int[] PURPLE_LIGHT = ramp(0xfff7f5fb, 0xff4b2383, 256);
  private static final int[] ORANGE_LIGHT = ramp(0xfffbe3cf, 0xffc0480f, 256);
  private static final int[] BLUE_DARK = ramp(0xff272b33, 0xff8fb3ff, 256);
  private static final int[] PURPLE_DARK = ramp(0xff272b33, 0xffd5b8ff, 256);
  private static final int[] ORANGE_DARK = ramp(0xff5a3320, 0xffffa263, 256);

  private static int[] blueRamp = BLUE_LIGHT;
  private static int[] purpleRamp = PURPLE_LIGHT;
  private static int[] orangeRamp = ORANGE_LIGHT;
  private static boolean dark;

  /** Switches every chart colour to the dark or the light theme (UI thread). */
  static void setDark(boolean on) {
    dark = on;
    blueRamp = on ? BLUE_DARK : BLUE_LIGHT;
    purpleRamp = on ? PURPLE_DARK : PURPLE_LIGHT;
    orangeRamp = on ? ORANGE_DARK : ORANGE_LIGHT;
  }

  static boolean isDark() {
    return dark;
  }

  /** Chart background. */
  static int paper() {
    return dark ? 0xff1f2227 : 0xfff7f8fa;
  }

  /** Text and marks. */
  static int ink() {
    return dark ? 0xffd4d8de : 0xff444b57;
  }

  /** Secondary text. */
  static int muted() {
    return 0xff8a92a0; // reads on both papers
  }

  /** Axes and frames. */
  static int grid() {
    return dark ? 0xff4a505a : 0xffc5ccd8;
  }

  /** A cell with nothing in it (an unchosen unit, an unrouted token). */
  static int empty() {
    return dark ? 0xff2b2f36 : 0xffe9ecf2;
  }

  /** A cell that counts zero. */
  static int zero() {
    return dark ? 0xff1f2227 : 0xffffffff;
  }

  /** A colour softened towards the paper, for backgrounds behind text. */
  static int soft(int argb) {
    return mix(argb, dark ? 0xff1f2227 : 0xffffffff, dark ? 0.45 : 0.35);
  }

  /** The strong line colour (running means, highlights). */
  static int accent() {
    return dark ? 0xff8fb3ff : 0xff1f4fb4;
  }

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
    return blueRamp[index(v)];
  }

  /** Attention weight. */
  static int purple(double v) {
    return purpleRamp[index(v)];
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
    return purpleRamp[shade];
  }

  /** Chosen expert, by its probability. */
  static int orange(double v) {
    return orangeRamp[index(v)];
  }

  /** The i-th of n categories: hues spread evenly, alternating lightness for neighbours. */
  static int category(int i, int n) {
    // Maps colour every cell every frame: each n's colours are computed once, not per cell.
    int[] table = CATEGORIES.get(n);
    if (table == null) {
      table = new int[Math.max(1, n)];
      for (int c = 0; c < table.length; c++) {
        table[c] = hsbCategory(c, n);
      }
      CATEGORIES.put(n, table);
    }
    return i >= 0 && i < table.length ? table[i] : hsbCategory(i, n);
  }

  private static int hsbCategory(int i, int n) {
    double hue = (360.0 * i / Math.max(1, n) + 12) % 360;
    float brightness = i % 2 == 0 ? 0.88f : 0.72f;
    return 0xff000000 | java.awt.Color.HSBtoRGB((float) (hue / 360), 0.55f, brightness);
  }

  /** {@link #category} colours by n (UI thread only). */
  private static final java.util.Map<Integer, int[]> CATEGORIES = new java.util.HashMap<>();
}
