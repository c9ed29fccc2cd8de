package org.sparsityworkbench.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.tokenizer.HuggingFaceTokenizer;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/** The byte-level BPE tokenizer.json through DJL's binding, offline, from a local path. */
class HfTokenizerTest {
  @TempDir Path tmp;

  private HuggingFaceTokenizer tokenizer() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    Files.write(f, HfFixtures.resource("tokenizer.json"));
    return HuggingFaceTokenizer.load(f);
  }

  @Test
  void encodesAsTheReferenceBpeAndDecodesBack() throws Exception {
    JsonObject expected =
        JsonParser.parseString(
                new String(HfFixtures.resource("tokenizer-expected.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
    try (HuggingFaceTokenizer t = tokenizer()) {
      assertEquals(298, t.vocabularySize());
      for (JsonElement c : expected.getAsJsonArray("cases")) {
        String text = c.getAsJsonObject().get("text").getAsString();
        int[] ids = HfReferenceTest.ints(c.getAsJsonObject().getAsJsonArray("ids"));
        assertArrayEquals(ids, t.encode(text), text);
        assertEquals(text, t.decode(ids), text);
      }
    }
  }

  @Test
  void streamedTextIsRightAcrossTokensThatSplitACharacter() throws Exception {
    try (HuggingFaceTokenizer t = tokenizer()) {
      String text = "Café naïve 🙂 ok";
      int[] ids = t.encode(text);
      Tokenizer.Stream s = t.newStream();
      StringBuilder out = new StringBuilder();
      int empty = 0;
      for (int id : ids) {
        String piece = s.push(id);
        assertFalse(piece.contains("\uFFFD"), "no replacement character for " + id);
        empty += piece.isEmpty() ? 1 : 0;
        out.append(piece);
      }
      assertEquals(text, out.toString());
      assertTrue(empty >= 3, "the emoji's first three bytes complete nothing on their own");
    }
  }

  @Test
  void labelsShowWhitespaceAndPartialCharacters() throws Exception {
    try (HuggingFaceTokenizer t = tokenizer()) {
      assertEquals("\\n", t.label(198)); // GPT-2's symbol for the newline byte
      assertEquals(" ", t.label(220));
      assertEquals("<0xF0>", t.label(t.encode("🙂")[0]));
      assertEquals("<|endoftext|>", t.label(296));
    }
  }
}
