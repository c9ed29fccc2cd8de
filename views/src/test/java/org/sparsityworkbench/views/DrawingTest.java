package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The pure parts of drawing: SVG. No toolkit needed (pooling and spans: AttentionGridTest). */
class DrawingTest {
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
