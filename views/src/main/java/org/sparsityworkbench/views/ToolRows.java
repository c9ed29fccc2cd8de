package org.sparsityworkbench.views;

import javafx.geometry.HPos;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.geometry.VPos;
import javafx.scene.Node;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;

/**
 * A tool bar that wraps: its children (groups of controls) sit in one row while they fit, and go on
 * in further rows when the window is narrower, so no control is ever cut off or hidden in an
 * overflow menu. A child with {@code HBox.setHgrow(child, ALWAYS)} takes the room its row has left
 * (the prompt).
 */
final class ToolRows extends Pane {
  private static final double HGAP = 8;
  private static final double VGAP = 4;

  ToolRows(Node... children) {
    super(children);
    getStyleClass().add("tool-bar");
    setPadding(new Insets(4, 8, 4, 8));
  }

  @Override
  public Orientation getContentBias() {
    return Orientation.HORIZONTAL;
  }

  private java.util.List<Node> items() {
    return getManagedChildren();
  }

  private static double width(Node n) {
    return Math.max(n.minWidth(-1), n.prefWidth(-1));
  }

  /** The children split into rows that fit the inner width. */
  private java.util.List<java.util.List<Node>> rows(double inner) {
    java.util.List<java.util.List<Node>> rows = new java.util.ArrayList<>();
    java.util.List<Node> row = new java.util.ArrayList<>();
    double x = 0;
    for (Node n : items()) {
      double w = width(n);
      if (!row.isEmpty() && x + HGAP + w > inner) {
        rows.add(row);
        row = new java.util.ArrayList<>();
        x = 0;
      }
      x += (row.isEmpty() ? 0 : HGAP) + w;
      row.add(n);
    }
    if (!row.isEmpty()) {
      rows.add(row);
    }
    return rows;
  }

  /** The widths the children of a row get: preferred, and the rest to those that grow. */
  private static double[] widths(java.util.List<Node> row, double inner) {
    double[] w = new double[row.size()];
    double used = HGAP * (row.size() - 1);
    int growing = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = width(row.get(i));
      used += w[i];
      if (HBox.getHgrow(row.get(i)) == Priority.ALWAYS) {
        growing++;
      }
    }
    double extra = inner - used;
    for (int i = 0; i < w.length && growing > 0 && extra > 0; i++) {
      Node n = row.get(i);
      if (HBox.getHgrow(n) == Priority.ALWAYS) {
        w[i] = Math.min(n.maxWidth(-1), w[i] + extra / growing);
      }
    }
    return w;
  }

  private double rowsHeight(double width) {
    Insets in = getInsets();
    double inner =
        Math.max(1, width < 0 ? computePrefWidth(-1) : width) - in.getLeft() - in.getRight();
    double h = 0;
    java.util.List<java.util.List<Node>> rows = rows(inner);
    for (java.util.List<Node> row : rows) {
      double[] w = widths(row, inner);
      double rowH = 0;
      for (int i = 0; i < w.length; i++) {
        rowH = Math.max(rowH, row.get(i).prefHeight(w[i]));
      }
      h += rowH;
    }
    return h + VGAP * Math.max(0, rows.size() - 1) + in.getTop() + in.getBottom();
  }

  @Override
  protected double computePrefWidth(double height) {
    double w = 0;
    for (Node n : items()) {
      w += width(n);
    }
    Insets in = getInsets();
    return w + HGAP * Math.max(0, items().size() - 1) + in.getLeft() + in.getRight();
  }

  @Override
  protected double computeMinWidth(double height) {
    double w = 0;
    for (Node n : items()) {
      w = Math.max(w, width(n));
    }
    Insets in = getInsets();
    return w + in.getLeft() + in.getRight();
  }

  @Override
  protected double computePrefHeight(double width) {
    return rowsHeight(width);
  }

  @Override
  protected double computeMinHeight(double width) {
    return rowsHeight(width);
  }

  @Override
  protected void layoutChildren() {
    Insets in = getInsets();
    double inner = getWidth() - in.getLeft() - in.getRight();
    double y = in.getTop();
    for (java.util.List<Node> row : rows(inner)) {
      double[] w = widths(row, inner);
      double rowH = 0;
      for (int i = 0; i < w.length; i++) {
        rowH = Math.max(rowH, row.get(i).prefHeight(w[i]));
      }
      double x = in.getLeft();
      for (int i = 0; i < w.length; i++) {
        layoutInArea(
            row.get(i), x, y, w[i], rowH, 0, Insets.EMPTY, true, false, HPos.LEFT, VPos.CENTER);
        x += w[i] + HGAP;
      }
      y += rowH + VGAP;
    }
  }
}
