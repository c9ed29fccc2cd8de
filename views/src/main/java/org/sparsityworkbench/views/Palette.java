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

  private static final javafx.beans.property.BooleanProperty DARK =
      new javafx.beans.property.SimpleBooleanProperty();

  /** Switches every chart colour to the dark or the light theme (UI thread). */
  static void setDark(boolean on) {
    dark = on;
    DARK.set(on);
    blueRamp = on ? BLUE_DARK : BLUE_LIGHT;
    purpleRamp = on ? PURPLE_DARK : PURPLE_LIGHT;
    orangeRamp = on ? ORANGE_DARK : ORANGE_LIGHT;
  }

  static boolean isDark() {
    return dark;
  }

  /**
   * A text that says how the ramps read, in the current theme: on light paper more is darker, on
   * dark paper more is brighter (the ramps start at the paper). {@code %s} stands for the word.
   */
  static javafx.beans.value.ObservableValue<String> moreIs(String text) {
    return DARK.map(on -> String.format(java.util.Locale.ROOT, text, on ? "brighter" : "darker"));
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

  /**
   * The i-th of n categories (an expert, a unit, a layer). The same i has the same colour whatever
   * n is: first the colour-blind safe set of Okabe and Ito (2008, without its black, which no text
   * can sit on), then colours picked one by one, each the farthest from all before it (as seen with
   * normal vision, protanopia and deuteranopia, {@link #distance}) among sRGB colours of mid to
   * light OKLab lightness. So neighbours and every pair of the first n stay apart, for 64 experts
   * too.
   */
  static int category(int i, int n) {
    if (i < 0) {
      return 0xff999999;
    }
    if (i >= categories.length) {
      extendCategories(Math.max(i + 1, Math.max(n, 2 * categories.length)));
    }
    return categories[i];
  }

  /** Okabe and Ito's "Color Universal Design" palette, without black. */
  private static final int[] OKABE_ITO = {
    0xffe69f00, 0xff56b4e9, 0xff009e73, 0xfff0e442, 0xff0072b2, 0xffd55e00, 0xffcc79a7
  };

  /** {@link #category} colours so far (UI thread only); a longer run keeps this as its prefix. */
  private static int[] categories = OKABE_ITO.clone();

  /** Candidates for more categories, as {@link #seen}, and their least distance to those chosen. */
  private static int[] candidates;

  private static double[][][] candidateViews;
  private static double[] candidateDistance;

  /** Chooses categories until there are n: each the candidate farthest from all chosen so far. */
  private static void extendCategories(int n) {
    if (candidates == null) {
      java.util.List<Integer> c = new java.util.ArrayList<>();
      for (int r = 0; r < 256; r += 15) {
        for (int g = 0; g < 256; g += 15) {
          for (int b = 0; b < 256; b += 15) {
            int argb = 0xff000000 | r << 16 | g << 8 | b;
            double lightness = okLab(argb)[0];
            if (lightness >= 0.5 && lightness <= 0.85) { // marks on both papers, text on softened
              c.add(argb);
            }
          }
        }
      }
      candidates = c.stream().mapToInt(Integer::intValue).toArray();
      candidateViews = new double[candidates.length][][];
      candidateDistance = new double[candidates.length];
      java.util.Arrays.fill(candidateDistance, Double.MAX_VALUE);
      for (int k = 0; k < candidates.length; k++) {
        candidateViews[k] = seen(candidates[k]);
        for (int chosen : categories) {
          candidateDistance[k] =
              Math.min(candidateDistance[k], distance(candidateViews[k], seen(chosen)));
        }
      }
    }
    int[] out = java.util.Arrays.copyOf(categories, n);
    for (int i = categories.length; i < n; i++) {
      int best = 0;
      for (int k = 1; k < candidates.length; k++) {
        if (candidateDistance[k] > candidateDistance[best]) {
          best = k;
        }
      }
      out[i] = candidates[best];
      double[][] chosen = candidateViews[best];
      for (int k = 0; k < candidates.length; k++) {
        candidateDistance[k] = Math.min(candidateDistance[k], distance(candidateViews[k], chosen));
      }
    }
    categories = out;
  }

  /** An sRGB component (0..255) in linear light. */
  private static double linear(int c) {
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }

  /** OKLab (L, a, b) of linear-light RGB (Björn Ottosson, 2020). */
  private static double[] okLab(double r, double g, double b) {
    double l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
    double m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
    double s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
    return new double[] {
      0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
      1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
      0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s
    };
  }

  /** OKLab (L, a, b) of an ARGB colour; L is 0 for black and 1 for white. */
  static double[] okLab(int argb) {
    return okLab(linear((argb >> 16) & 0xff), linear((argb >> 8) & 0xff), linear(argb & 0xff));
  }

  /**
   * Protanopia and deuteranopia as seen by the reader (Machado, Oliveira and Fernandes 2009,
   * severity 1), on linear-light RGB.
   */
  private static final double[][][] COLOUR_BLIND = {
    {
      {0.152286, 1.052583, -0.204868},
      {0.114503, 0.786281, 0.099216},
      {-0.003882, -0.048116, 1.051998}
    },
    {
      {0.367322, 0.860646, -0.227968},
      {0.280085, 0.672501, 0.047413},
      {-0.011820, 0.042940, 0.968881}
    }
  };

  /** OKLab of a colour for normal vision, then as a protanope and a deuteranope see it. */
  private static double[][] seen(int argb) {
    double[] rgb = {linear((argb >> 16) & 0xff), linear((argb >> 8) & 0xff), linear(argb & 0xff)};
    double[][] out = new double[1 + COLOUR_BLIND.length][];
    out[0] = okLab(rgb[0], rgb[1], rgb[2]);
    for (int k = 0; k < COLOUR_BLIND.length; k++) {
      double[] v = new double[3];
      for (int i = 0; i < 3; i++) {
        double x = 0;
        for (int j = 0; j < 3; j++) {
          x += COLOUR_BLIND[k][i][j] * rgb[j];
        }
        v[i] = Math.max(0, Math.min(1, x));
      }
      out[k + 1] = okLab(v[0], v[1], v[2]);
    }
    return out;
  }

  /** The least of the OKLab distances (x 100) of two views of colours from {@link #seen}. */
  private static double distance(double[][] a, double[][] b) {
    double d = Double.MAX_VALUE;
    for (int k = 0; k < a.length; k++) {
      double dl = a[k][0] - b[k][0];
      double da = a[k][1] - b[k][1];
      double db = a[k][2] - b[k][2];
      d = Math.min(d, Math.sqrt(dl * dl + da * da + db * db));
    }
    return 100 * d;
  }

  /**
   * How far apart two colours look: the OKLab distance (x 100; black to white is 100), the least of
   * normal vision, protanopia and deuteranopia. About 2 is just noticeable side by side.
   */
  static double distance(int a, int b) {
    return distance(seen(a), seen(b));
  }
}
