package org.sparsityworkbench.views;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A {@link Sketch} written as an SVG document: shapes and text stay vectors (editable in a paper's
 * figure), cell maps become embedded PNG images drawn without smoothing.
 */
final class SvgSketch implements Sketch {
  private final double width;
  private final double height;
  private final StringBuilder body = new StringBuilder();

  SvgSketch(double width, double height) {
    this.width = width;
    this.height = height;
  }

  @Override
  public double width() {
    return width;
  }

  @Override
  public double height() {
    return height;
  }

  /** A coordinate; a value that is not finite (a chart dividing by zero) is drawn at 0. */
  private static String n(double v) {
    return String.format(Locale.ROOT, "%.2f", Double.isFinite(v) ? v : 0);
  }

  /** "#rrggbb" plus an opacity attribute when not opaque. */
  private static String paint(String attribute, int argb) {
    int alpha = (argb >>> 24) & 0xff;
    String s = String.format(Locale.ROOT, "%s=\"#%06x\"", attribute, argb & 0xffffff);
    if (alpha != 0xff) {
      s += String.format(Locale.ROOT, " %s-opacity=\"%.3f\"", attribute, alpha / 255.0);
    }
    return s;
  }

  @Override
  public void rect(double x, double y, double w, double h, int argb) {
    body.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" %s/>%n",
            n(x),
            n(y),
            n(w),
            n(h),
            paint("fill", argb)));
  }

  @Override
  public void outline(double x, double y, double w, double h, int argb, double lineWidth) {
    body.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" %s"
                + " stroke-width=\"%s\"/>%n",
            n(x),
            n(y),
            n(w),
            n(h),
            paint("stroke", argb),
            n(lineWidth)));
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, int argb, double lineWidth) {
    body.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" %s stroke-width=\"%s\"/>%n",
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            paint("stroke", argb),
            n(lineWidth)));
  }

  @Override
  public void polyline(double[] xs, double[] ys, int n, int argb, double lineWidth) {
    if (n < 2) {
      return;
    }
    body.append("<polyline fill=\"none\" ")
        .append(paint("stroke", argb))
        .append(" stroke-width=\"")
        .append(n(lineWidth))
        .append("\" points=\"");
    for (int i = 0; i < n; i++) {
      body.append(i == 0 ? "" : " ").append(n(xs[i])).append(',').append(n(ys[i]));
    }
    body.append("\"/>\n");
  }

  @Override
  public void text(String s, double x, double y, double size, int argb, boolean mono) {
    body.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%s\" y=\"%s\" font-family=\"%s\" font-size=\"%s\""
                + " %s xml:space=\"preserve\">%s</text>%n",
            n(x),
            n(y),
            mono ? "DejaVu Sans Mono, monospace" : "DejaVu Sans, sans-serif",
            n(size),
            paint("fill", argb),
            escape(s)));
  }

  @Override
  public void cells(int[] argb, int cols, int rows, double x, double y, double w, double h) {
    if (cols <= 0 || rows <= 0) {
      return;
    }
    BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_ARGB);
    image.setRGB(0, 0, cols, rows, argb, 0, cols);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: does not happen
    }
    body.append(
        String.format(
            Locale.ROOT,
            "<image x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" preserveAspectRatio=\"none\""
                + " style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,%s\"/>%n",
            n(x),
            n(y),
            n(w),
            n(h),
            Base64.getEncoder().encodeToString(png.toByteArray())));
  }

  /** The shapes without the document around them, to place in a larger document. */
  String body() {
    return body.toString();
  }

  /** A document around bodies already written (each one a {@code <g>}). */
  static String document(double width, double height, String body) {
    SvgSketch s = new SvgSketch(width, height);
    s.body.append(body);
    return s.document();
  }

  /** The complete document. */
  String document() {
    return String.format(
            Locale.ROOT,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>%n<svg xmlns=\"http://www.w3.org/2000/svg\""
                + " xmlns:xlink=\"http://www.w3.org/1999/xlink\""
                + " width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\">%n",
            n(width),
            n(height),
            n(width),
            n(height))
        + body
        + "</svg>\n";
  }

  /** XML text: the five special characters escaped, control characters shown as U+FFFD. */
  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&apos;");
        default -> b.append(c < 0x20 && c != '\t' ? '\ufffd' : c);
      }
    }
    return b.toString();
  }
}
