package org.sparsityworkbench.views;

import javafx.collections.ListChangeListener;
import javafx.scene.input.ScrollEvent;
import org.sparsityworkbench.viewmodels.TokenSnapshot;
import org.sparsityworkbench.viewmodels.TokenStreamViewModel;

/**
 * The streaming text, one box per token coloured by its routing in the chosen layer (the top expert
 * of a mixture of experts, the unit of a sparse FF controller's first block; prompt tokens by their
 * prefill routing, underlined). Follows the newest line; the mouse wheel scrolls back. Hovering a
 * token puts its full record in the view model's details.
 */
final class TokenStreamView extends Chart {
  private static final double SIZE = 15;
  private static final double CHAR_W = SIZE * 0.602; // DejaVu Sans Mono advance
  private static final double LINE_H = SIZE + 9;
  private static final double PAD = 8;

  private final TokenStreamViewModel vm;

  /** Lines scrolled back from the newest (0: follow the decode). */
  private int scrollBack;

  /** Layout of the last paint: box of every position, for hovering. */
  private double[] boxX = new double[0];

  private double[] boxY = new double[16];
  private double[] boxW = new double[0];
  private int laidOut;

  TokenStreamView(TokenStreamViewModel vm) {
    super("token-stream", null);
    this.vm = vm;
    vm.tokens()
        .addListener(
            (ListChangeListener<TokenSnapshot>)
                c -> {
                  while (c.next()) {
                    if (c.wasRemoved()) {
                      drawn = 0; // a new decode: nothing on the canvas can be kept
                    }
                  }
                  request();
                });
    vm.shown().colourLayerProperty().subscribe(l -> request());
    vm.promptRoutedProperty().subscribe(p -> request());
    vm.inspectedProperty().subscribe(t -> request());
    canvas().setOnScroll(this::scroll);
    javafx.scene.control.MenuItem copy = new javafx.scene.control.MenuItem("Copy text");
    copy.setOnAction(
        e -> {
          javafx.scene.input.ClipboardContent text = new javafx.scene.input.ClipboardContent();
          text.putString(text());
          javafx.scene.input.Clipboard.getSystemClipboard().setContent(text);
        });
    addMenuItem(copy);
    canvas().setOnMouseMoved(e -> vm.inspectPosition(hitPosition(e.getX(), e.getY())));
    canvas().setOnMouseExited(e -> vm.inspectPosition(-1));
  }

  /** The prompt and the decoded text, as shown. */
  String text() {
    StringBuilder b = new StringBuilder();
    for (int p = 0; p < vm.contextLength(); p++) {
      b.append(vm.textAt(p));
    }
    return b.toString();
  }

  private void scroll(ScrollEvent e) {
    scrollBack = Math.max(0, scrollBack + (e.getDeltaY() > 0 ? 1 : -1) * 2);
    request();
  }

  /** The decoded token under a point; null over the prompt or empty space. */
  TokenSnapshot hit(double x, double y) {
    return vm.tokenAt(hitPosition(x, y));
  }

  /** The position (prompt or decoded) under a point; -1 over empty space. */
  int hitPosition(double x, double y) {
    for (int p = 0; p < laidOut; p++) {
      if (x >= boxX[p] && x < boxX[p] + boxW[p] && y >= boxY[p] && y < boxY[p] + LINE_H) {
        return p;
      }
    }
    return -1;
  }

  /** The centre of a position's box as last painted (local coordinates), for tests. */
  javafx.geometry.Point2D centreOf(int position) {
    return new javafx.geometry.Point2D(
        boxX[position] + boxW[position] / 2, boxY[position] + LINE_H / 2);
  }

  private double boxWidth(String t) {
    return t.equals("\n") ? CHAR_W : t.isEmpty() ? 3 : Math.max(1, t.length()) * CHAR_W;
  }

  /** True for a token that belongs to a word: some text, no white space in it. */
  private static boolean inWord(String t) {
    if (t.isEmpty()) {
      return true; // a byte inside a character
    }
    for (int i = 0; i < t.length(); i++) {
      if (Character.isWhitespace(t.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where each position's box sits relative to the first line: x, line index, width. Lines break
   * between words: a word that does not fit on the rest of a line starts the next one (a word
   * longer than a whole line breaks where the line ends).
   */
  private int layout(double width, double[] xs, int[] lines, double[] ws) {
    int n = xs.length;
    double x = PAD;
    int line = 0;
    boolean previousInWord = false;
    for (int p = 0; p < n; p++) {
      String t = vm.textAt(p);
      boolean newline = t.equals("\n");
      double w = boxWidth(t);
      boolean word = !newline && inWord(t);
      if (word && !previousInWord && x > PAD) {
        double wordW = w;
        for (int q = p + 1; q < n && x + wordW <= width - PAD; q++) {
          String u = vm.textAt(q);
          if (u.equals("\n") || !inWord(u)) {
            break;
          }
          wordW += boxWidth(u);
        }
        if (x + wordW > width - PAD && wordW <= width - 2 * PAD) {
          x = PAD; // the whole word on the next line
          line++;
        }
      }
      previousInWord = word;
      if (x + w > width - PAD && x > PAD) {
        x = PAD;
        line++;
      }
      xs[p] = x;
      lines[p] = line;
      ws[p] = w;
      x += w;
      if (newline) {
        x = PAD;
        line++;
      }
    }
    return line + 1;
  }

  /** What the last on-screen paint showed, to decide whether appending suffices. */
  private int drawn;

  private int drawnFirstLine = -1;
  private int drawnLayer = -1;
  private boolean drawnPromptRouted;
  private TokenSnapshot drawnInspected;
  private double drawnWidth;
  private double drawnHeight;
  private int drawnScroll;
  private boolean drawnDark;

  /** Where the last drawn position sat: a word that grew onto the next line moves it. */
  private double drawnLastX;

  private int drawnLastLine;

  private void rememberLast(Layout l, int n) {
    drawnLastX = n == 0 ? 0 : l.xs[n - 1];
    drawnLastLine = n == 0 ? 0 : l.lines[n - 1];
  }

  @Override
  boolean paintIncrement(Sketch s) {
    int n = vm.contextLength();
    if (n < drawn
        || drawn == 0
        || s.width() != drawnWidth
        || s.height() != drawnHeight
        || vm.shown().colourLayerProperty().get() != drawnLayer
        || vm.promptRoutedProperty().get() != drawnPromptRouted
        || vm.inspectedProperty().get() != drawnInspected
        || scrollBack != drawnScroll
        || Palette.isDark() != drawnDark) {
      return false;
    }
    Layout l = layout(s);
    if (l.firstLine != drawnFirstLine) {
      return false; // a new line scrolled the text: paint it whole
    }
    if (l.xs[drawn - 1] != drawnLastX || l.lines[drawn - 1] != drawnLastLine) {
      return false; // a growing word moved to the next line
    }
    draw(s, l, drawn, n);
    drawn = n;
    rememberLast(l, n);
    return true;
  }

  @Override
  void paint(Sketch s) {
    int n = vm.contextLength();
    if (s instanceof CanvasSketch) {
      drawn = 0;
    }
    if (n == 0) {
      s.text(
          "Press Generate (Ctrl+Enter): the text streams here, each token coloured by its"
              + " routing.",
          PAD,
          24,
          13,
          Palette.muted());
      laidOut = 0;
      return;
    }
    Layout l = layout(s);
    draw(s, l, 0, n);
    if (scrollBack > 0) {
      s.text(
          "(scrolled back " + scrollBack + " lines)",
          s.width() - 190,
          s.height() - 4,
          11,
          Palette.muted());
    }
    if (s instanceof CanvasSketch) {
      drawn = n;
      rememberLast(l, n);
      drawnFirstLine = l.firstLine;
      drawnLayer = vm.shown().colourLayerProperty().get();
      drawnPromptRouted = vm.promptRoutedProperty().get();
      drawnInspected = vm.inspectedProperty().get();
      drawnWidth = s.width();
      drawnHeight = s.height();
      drawnScroll = scrollBack;
      drawnDark = Palette.isDark();
    }
  }

  /** Boxes of every position and the first line shown. */
  private record Layout(double[] xs, int[] lines, double[] ws, int firstLine, int visible) {}

  private Layout layout(Sketch s) {
    int n = vm.contextLength();
    double[] xs = new double[n];
    int[] lines = new int[n];
    double[] ws = new double[n];
    int total = layout(s.width(), xs, lines, ws);
    int visible = Math.max(1, (int) ((s.height() - PAD) / LINE_H));
    scrollBack = Math.min(scrollBack, Math.max(0, total - visible));
    int firstLine = Math.max(0, total - visible - scrollBack);
    return new Layout(xs, lines, ws, firstLine, visible);
  }

  /** Draws positions [from, to) and records the boxes for hovering. */
  private void draw(Sketch s, Layout l, int from, int to) {
    int layer = vm.shown().colourLayerProperty().get();
    int categories = vm.shown().routeKeyCount();
    if (boxY.length < to) {
      boxY = java.util.Arrays.copyOf(boxY, Math.max(to, 2 * boxY.length));
    }
    boxX = l.xs;
    boxW = l.ws;
    laidOut = to;
    int prompt = vm.promptLength();
    TokenSnapshot inspected = vm.inspectedProperty().get();
    for (int p = from; p < to; p++) {
      int line = l.lines[p];
      double y = PAD + (line - l.firstLine) * LINE_H;
      boxY[p] = y;
      if (line < l.firstLine || line >= l.firstLine + l.visible) {
        boxY[p] = -1e9; // not shown: never hit
        continue;
      }
      int key = vm.routeKeyAt(p, layer);
      int fill =
          key < 0 || categories <= 0
              ? Palette.empty()
              : Palette.soft(Palette.category(key, categories));
      s.rect(l.xs[p], y + 1, l.ws[p] - 1, LINE_H - 3, fill);
      if (p < prompt) {
        s.line(l.xs[p], y + LINE_H - 2, l.xs[p] + l.ws[p] - 1, y + LINE_H - 2, Palette.muted(), 1);
      }
      String t = vm.textAt(p);
      if (!t.isEmpty()) {
        s.text(t.equals("\n") ? "\u21b5" : t, l.xs[p], y + SIZE + 1, SIZE, Palette.ink(), true);
      }
      if (inspected != null && vm.tokenAt(p) == inspected) {
        s.outline(l.xs[p], y + 1, l.ws[p] - 1, LINE_H - 3, Palette.accent(), 2);
      }
    }
  }
}
