package org.sparsityworkbench.views;

import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;

/** A {@link Sketch} on a JavaFX canvas. */
final class CanvasSketch implements Sketch {
  private final Canvas canvas;
  private final GraphicsContext g;
  private final java.util.List<WritableImage> images;
  private int nextImage;

  /**
   * A sketch on {@code canvas}. The n-th {@link #cells} call of a paint draws through the n-th
   * image of {@code images}, reused from paint to paint while its size stays: a new image every
   * frame would make the renderer allocate and upload a new texture every frame (it was the largest
   * allocation of the attention view, over 2 GB in a 1,500-token decode).
   */
  CanvasSketch(Canvas canvas, java.util.List<WritableImage> images) {
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
    WritableImage image = slot < images.size() ? images.get(slot) : null;
    if (image == null || (int) image.getWidth() != cols || (int) image.getHeight() != rows) {
      image = new WritableImage(cols, rows);
      if (slot < images.size()) {
        images.set(slot, image);
      } else {
        images.add(image);
      }
    }
    // One bulk copy of the ints into the image: no per-pixel Color objects, and the caller may
    // reuse its array for the next frame.
    image
        .getPixelWriter()
        .setPixels(0, 0, cols, rows, PixelFormat.getIntArgbPreInstance(), argb, 0, cols);
    g.setImageSmoothing(false);
    g.drawImage(image, x, y, w, h);
  }
}
