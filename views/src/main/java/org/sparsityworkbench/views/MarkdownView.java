package org.sparsityworkbench.views;

import java.util.ArrayList;
import java.util.List;
import javafx.scene.layout.VBox;
import javafx.scene.text.Font;
import javafx.scene.text.FontPosture;
import javafx.scene.text.FontWeight;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;

/**
 * A model card's Markdown, rendered simply: headings, paragraphs, bullet and numbered lists, fenced
 * code, tables as aligned monospaced text, and inline bold, italics, code and links (their text).
 * Anything else shows as its text.
 */
final class MarkdownView extends VBox {
  private static final double SIZE = 13;

  MarkdownView() {
    super(6);
    getStyleClass().add("markdown");
    setPadding(new javafx.geometry.Insets(4, 10, 10, 10));
  }

  /** Replaces what is shown. */
  void setMarkdown(String markdown) {
    getChildren().clear();
    if (markdown == null || markdown.isBlank()) {
      getChildren().add(flow(List.of(text("(no MODEL_CARD.md)", Style.ITALIC))));
      return;
    }
    List<String> lines = markdown.lines().toList();
    StringBuilder paragraph = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String trimmed = line.strip();
      boolean block =
          trimmed.isEmpty()
              || trimmed.startsWith("#")
              || trimmed.startsWith("```")
              || trimmed.startsWith("|")
              || listItem(trimmed) != null;
      if (block && !paragraph.isEmpty()) {
        getChildren().add(flow(inline(paragraph.toString(), Style.PLAIN)));
        paragraph.setLength(0);
      }
      if (trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.startsWith("```")) {
        StringBuilder code = new StringBuilder();
        while (++i < lines.size() && !lines.get(i).strip().startsWith("```")) {
          code.append(code.isEmpty() ? "" : "\n").append(lines.get(i));
        }
        getChildren().add(flow(List.of(text(code.toString(), Style.CODE))));
      } else if (trimmed.startsWith("|")) {
        List<String> rows = new ArrayList<>();
        while (i < lines.size() && lines.get(i).strip().startsWith("|")) {
          rows.add(lines.get(i).strip());
          i++;
        }
        i--;
        getChildren().add(flow(List.of(text(table(rows), Style.CODE))));
      } else if (trimmed.startsWith("#")) {
        int level = 0;
        while (level < trimmed.length() && trimmed.charAt(level) == '#') {
          level++;
        }
        String title = trimmed.substring(level).strip();
        Text t = text(plain(title), Style.BOLD);
        t.setFont(Font.font(null, FontWeight.BOLD, level <= 1 ? 20 : level == 2 ? 16 : 14));
        getChildren().add(flow(List.of(t)));
      } else if (listItem(trimmed) != null) {
        String[] item = listItem(trimmed);
        int indent = line.length() - line.stripLeading().length();
        List<Text> parts = new ArrayList<>();
        parts.add(text(" ".repeat(indent) + item[0] + " ", Style.PLAIN));
        parts.addAll(inline(item[1], Style.PLAIN));
        getChildren().add(flow(parts));
      } else {
        paragraph.append(paragraph.isEmpty() ? "" : " ").append(trimmed);
      }
    }
    if (!paragraph.isEmpty()) {
      getChildren().add(flow(inline(paragraph.toString(), Style.PLAIN)));
    }
  }

  /** {bullet, text} of a list item ("- x", "* x", "+ x", "3. x"), null for other lines. */
  private static String[] listItem(String line) {
    if (line.length() > 2 && "-*+".indexOf(line.charAt(0)) >= 0 && line.charAt(1) == ' ') {
      return new String[] {"•", line.substring(2).strip()};
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)[.)] (.*)").matcher(line);
    return m.matches() ? new String[] {m.group(1) + ".", m.group(2).strip()} : null;
  }

  /** A table's rows as aligned columns; the |---| separator row becomes a rule. */
  private static String table(List<String> rows) {
    List<String[]> cells = new ArrayList<>();
    for (String r : rows) {
      String body = r.replaceAll("^\\|", "").replaceAll("\\|$", "");
      String[] c = body.split("\\|", -1);
      for (int j = 0; j < c.length; j++) {
        c[j] = plain(c[j].strip());
      }
      if (!String.join("", c).isBlank()) {
        cells.add(c); // an empty header row adds nothing
      }
    }
    int cols = cells.stream().mapToInt(c -> c.length).max().orElse(0);
    int[] width = new int[cols];
    for (String[] c : cells) {
      if (!isRule(c)) {
        for (int j = 0; j < c.length; j++) {
          width[j] = Math.max(width[j], c[j].length());
        }
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] c : cells) {
      b.append(b.isEmpty() ? "" : "\n");
      for (int j = 0; j < cols; j++) {
        boolean last = j == cols - 1; // not padded: long last cells wrap as text
        String v =
            isRule(c)
                ? "-".repeat(last ? Math.min(3, width[j]) : width[j])
                : j < c.length ? c[j] : "";
        b.append(j == 0 ? "" : isRule(c) ? "-+-" : " | ")
            .append(v)
            .append(isRule(c) || last ? "" : " ".repeat(width[j] - v.length()));
      }
    }
    return b.toString();
  }

  private static boolean isRule(String[] cells) {
    for (String c : cells) {
      if (!c.matches(":?-+:?")) {
        return false;
      }
    }
    return true;
  }

  private enum Style {
    PLAIN,
    BOLD,
    ITALIC,
    CODE
  }

  /** Inline markup: **bold**, *italic* or _italic_, `code`, [text](link) as its text. */
  private static List<Text> inline(String s, Style base) {
    List<Text> out = new ArrayList<>();
    StringBuilder run = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int end;
      Style style = null;
      int skip = 1;
      if (c == '`' && (end = s.indexOf('`', i + 1)) > i) {
        style = Style.CODE;
      } else if (s.startsWith("**", i) && (end = s.indexOf("**", i + 2)) > i + 2) {
        style = Style.BOLD;
        skip = 2;
      } else if ((c == '*' || c == '_')
          && i + 1 < s.length()
          && s.charAt(i + 1) != ' '
          && (i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1)))
          && (end = s.indexOf(c, i + 1)) > i + 1) {
        style = Style.ITALIC;
      } else if (c == '[' && (end = s.indexOf("](", i)) > i && s.indexOf(')', end) > end) {
        run.append(s, i + 1, end);
        i = s.indexOf(')', end) + 1;
        continue;
      } else {
        end = -1;
      }
      if (style == null) {
        run.append(c);
        i++;
        continue;
      }
      if (!run.isEmpty()) {
        out.add(text(run.toString(), base));
        run.setLength(0);
      }
      out.add(text(s.substring(i + skip, end), style));
      i = end + skip;
    }
    if (!run.isEmpty()) {
      out.add(text(run.toString(), base));
    }
    return out;
  }

  /** The text of inline markup without its marks (for headings and table cells). */
  private static String plain(String s) {
    StringBuilder b = new StringBuilder();
    for (Text t : inline(s, Style.PLAIN)) {
      b.append(t.getText());
    }
    return b.toString();
  }

  private static Text text(String s, Style style) {
    Text t = new Text(s);
    t.getStyleClass().add("markdown-text");
    t.setFont(
        switch (style) {
          case PLAIN -> Font.font(SIZE);
          case BOLD -> Font.font(null, FontWeight.BOLD, SIZE);
          case ITALIC -> Font.font(null, FontPosture.ITALIC, SIZE);
          case CODE -> Font.font("monospace", SIZE - 1);
        });
    return t;
  }

  private static TextFlow flow(List<Text> parts) {
    TextFlow f = new TextFlow(parts.toArray(Text[]::new));
    f.setLineSpacing(2);
    return f;
  }
}
