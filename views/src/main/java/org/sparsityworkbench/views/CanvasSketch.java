package org.sparsityworkbench.views;

import java.nio.IntBuffer;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.image.PixelBuffer;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;

/** A {@link Sketch} on a JavaFX canvas. */
final class CanvasSketch implements Sketch {
  private final Canvas canvas;
  private final GraphicsContext g;
  private final java.util.List<Pixels> images;
  private int nextImage;

  /**
   * A sketch on {@code canvas}. The n-th {@link #cells} call of a paint draws through the n-th
   * image of {@code images}, reused from paint to paint while its size stays: a new image every
   * frame would make the renderer allocate and upload a new texture every frame (it was the largest
   * allocation of the attention view, over 2 GB in a 1,500-token decode).
   */
  CanvasSketch(Canvas canvas, java.util.List<Pixels> images) {
    this.canvas = canvas;
    this.g = canvas.getGraphicsContext2D();
    this.images = images;
  }

  @Override
  public double width() {
    return canvas.getWidth();
  }

  @Override
  public double height() {
    return canvas.getHeight();
  }

  private static final java.util.Map<Double, Font> SANS = new java.util.HashMap<>();
  private static final java.util.Map<Double, Font> MONO = new java.util.HashMap<>();

  /** Fonts by size, made once (UI thread only). */
  private static Font font(double size, boolean mono) {
    return (mono ? MONO : SANS)
        .computeIfAbsent(size, s -> Font.font(mono ? "DejaVu Sans Mono" : "DejaVu Sans", s));
  }

  static Color color(int argb) {
    return Color.rgb(
        (argb >> 16) & 0xff, (argb >> 8) & 0xff, argb & 0xff, ((argb >>> 24) & 0xff) / 255.0);
  }

  @Override
  public void rect(double x, double y, double w, double h, int argb) {
    g.setFill(color(argb));
    g.fillRect(x, y, w, h);
  }

  @Override
  public void outline(double x, double y, double w, double h, int argb, double lineWidth) {
    g.setStroke(color(argb));
    g.setLineWidth(lineWidth);
    g.strokeRect(x, y, w, h);
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, int argb, double lineWidth) {
    g.setStroke(color(argb));
    g.setLineWidth(lineWidth);
    g.strokeLine(x1, y1, x2, y2);
  }

  @Override
  public void polyline(double[] xs, double[] ys, int n, int argb, double lineWidth) {
    if (n < 2) {
      return;
    }
    g.setStroke(color(argb));
    g.setLineWidth(lineWidth);
    g.strokePolyline(xs, ys, n);
  }

  @Override
  public void text(String s, double x, double y, double size, int argb, boolean mono) {
    g.setFont(font(size, mono));
    g.setFill(color(argb));
    g.fillText(s, x, y);
  }

  @Override
  public void cells(int[] argb, int cols, int rows, double x, double y, double w, double h) {
    if (cols <= 0 || rows <= 0) {
      return;
    }
    int slot = nextImage++;
    Pixels p = slot < images.size() ? images.get(slot) : null;
    if (p == null || p.cols != cols || p.capacity < rows || p.capacity > 2 * rows) {
      // Room for rows rounded up to a power of two, kept while it is at most twice what is drawn:
      // a map that grows by a row per frame gets a new image (and the renderer a new texture)
      // only when it doubles.
      p = new Pixels(cols, rows == 1 ? 1 : Integer.highestOneBit(rows - 1) << 1);
      if (slot < images.size()) {
        images.set(slot, p);
      } else {
        images.add(p);
      }
    }
    // Into the image's own ints, in the renderer's format (premultiplied int ARGB): the texture is
    // updated by a plain copy. (A WritableImage's PixelWriter converts to bytes, and the renderer
    // converts back: two conversions per pixel per frame.)
    System.arraycopy(argb, 0, p.ints, 0, cols * rows);
    javafx.geometry.Rectangle2D changed = new javafx.geometry.Rectangle2D(0, 0, cols, rows);
    p.buffer.updateBuffer(b -> changed);
    g.setImageSmoothing(false);
    g.drawImage(p.image, 0, 0, cols, rows, x, y, w, h);
  }

  /** An image over an int array of its own, which the renderer reads without conversion. */
  static final class Pixels {
    final int cols;
    final int capacity;
    final int[] ints;
    final PixelBuffer<IntBuffer> buffer;
    final WritableImage image;

    /** An image of cols x capacity pixels, of which a paint may use the first rows. */
    Pixels(int cols, int capacity) {
      this.cols = cols;
      this.capacity = capacity;
      this.ints = new int[cols * capacity];
      this.buffer =
          new PixelBuffer<>(
              cols, capacity, IntBuffer.wrap(ints), PixelFormat.getIntArgbPreInstance());
      this.image = new WritableImage(buffer);
    }
  }
}
