package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The pure parts of drawing: pooling, spans, SVG. No toolkit needed. */
class DrawingTest {
  @Test
  void poolingKeepsTheLargestWeightOfEachBin() {
    float[] row = {0.1f, 0.5f, 0.2f, 0.05f, 0.15f};
    float[] out = new float[2];
    AttentionView.poolRow(row, 0, 8, out); // bins of 4 positions; 5..7 not seen yet
    assertArrayEquals(new float[] {0.5f, 0.15f}, out);
    float[] tail = new float[3];
    AttentionView.poolRow(row, 2, 5, tail); // one position per bin
    assertArrayEquals(new float[] {0.2f, 0.05f, 0.15f}, tail);
  }

  @Test
  void poolingPutsEveryPositionInBinFloorOfPositionTimesBinsOverSpan() {
    java.util.Random r = new java.util.Random(3);
    for (int rep = 0; rep < 300; rep++) {
      int span = 1 + r.nextInt(2100);
      int from = r.nextInt(300);
      int bins = 1 + r.nextInt(Math.min(span, 900));
      float[] row = new float[from + r.nextInt(span + 1)];
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextFloat();
      }
      float[] expected = new float[bins];
      for (int p = from; p < Math.min(from + span, row.length); p++) {
        int bin = (int) ((long) (p - from) * bins / span);
        expected[bin] = Math.max(expected[bin], row[p]);
      }
      float[] out = new float[bins];
      AttentionView.poolRow(row, from, from + span, out);
      assertArrayEquals(expected, out, "span " + span + " from " + from + " bins " + bins);
    }
  }

  @Test
  void panelSpansStayPutWhileTokensArriveAndAlwaysHoldTheNewest() {
    assertArrayEquals(new int[] {0, 256}, AttentionView.panelSpan(1, 0));
    assertArrayEquals(new int[] {0, 256}, AttentionView.panelSpan(256, 0));
    assertArrayEquals(new int[] {0, 512}, AttentionView.panelSpan(257, 0));
    for (int zoom : AttentionView.ZOOMS) {
      for (int positions = 1; positions < 2000; positions += 7) {
        int[] s = AttentionView.panelSpan(positions, zoom);
        assertTrue(s[0] >= 0 && s[0] + s[1] >= positions, "newest position inside the span");
        if (zoom > 0) {
          assertTrue(
              positions - s[0] >= Math.min(positions, zoom), "at least the last zoom positions");
        }
      }
    }
    // Zoomed: the span moves in steps of zoom/8, not with every token.
    assertArrayEquals(
        AttentionView.panelSpan(1000, 128), AttentionView.panelSpan(1003, 128), "same step");
  }

  @Test
  void panelSpansNeverRunPastTheModelsContext() {
    assertArrayEquals(new int[] {0, 128}, AttentionView.panelSpan(45, 0, 128));
    assertArrayEquals(new int[] {0, 128}, AttentionView.panelSpan(128, 0, 128));
    assertArrayEquals(new int[] {0, 512}, AttentionView.panelSpan(300, 0, 1024));
    for (int context : new int[] {32, 100, 128, 256, 300, 1024}) {
      for (int zoom : AttentionView.ZOOMS) {
        for (int positions = 1; positions <= context; positions++) {
          int[] s = AttentionView.panelSpan(positions, zoom, context);
          String at = "context " + context + " zoom " + zoom + " positions " + positions;
          assertTrue(s[0] >= 0 && s[0] + s[1] <= context, "inside the context: " + at);
          assertTrue(s[0] + s[1] >= positions, "newest position inside the span: " + at);
          if (zoom > 0) {
            assertTrue(positions - s[0] >= Math.min(positions, zoom), "the last zoom: " + at);
          }
        }
      }
    }
  }

  @Test
  void svgIsWellFormedAndEscapesText() throws Exception {
    SvgSketch s = new SvgSketch(100, 50);
    s.rect(0, 0, 100, 50, 0xfff7f8fa);
    s.text("a<b & \"c\" 'd' \u0001", 2, 10, 11, 0xff444b57);
    s.polyline(new double[] {0, 10, Double.NaN}, new double[] {0, 5, 1}, 3, 0x803b6fd8, 1.5);
    s.cells(new int[] {0xffff0000, 0xff00ff00}, 2, 1, 0, 20, 100, 10);
    String doc = s.document();
    Document parsed =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", parsed.getDocumentElement().getTagName());
    assertEquals(
        "a<b & \"c\" 'd' \ufffd", parsed.getElementsByTagName("text").item(0).getTextContent());
    assertTrue(doc.contains("stroke-opacity=\"0.502\""), "alpha kept");
    assertTrue(!doc.contains("NaN"), "no NaN coordinates");
    assertTrue(doc.contains("xlink:href=\"data:image/png;base64,"), doc);
  }
}
