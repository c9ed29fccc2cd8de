package org.sparsityworkbench.engine.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteTextTest {
  private static final String BAD = "\uFFFD";

  /** The output of each push, one per byte. */
  private static List<String> pushAll(ByteText t, int... bytes) {
    List<String> out = new ArrayList<>();
    for (int b : bytes) {
      out.add(t.push(b));
    }
    return out;
  }

  private static List<String> pushAll(int... bytes) {
    return pushAll(new ByteText(), bytes);
  }

  /** Concatenation of the outputs over the UTF-8 bytes of s. */
  private static String decode(ByteText t, String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      sb.append(t.push(b & 0xFF));
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Valid text

  @Test
  void asciiPassesThroughOneByteAtATime() {
    ByteText t = new ByteText();
    for (int b = 0; b < 0x80; b++) {
      assertEquals(String.valueOf((char) b), t.push(b), "byte " + b);
    }
  }

  @Test
  void twoByteCharacterYieldsNothingThenTheCharacter() {
    // é = U+00E9 = C3 A9
    assertEquals(List.of("", "é"), pushAll(0xC3, 0xA9));
  }

  @Test
  void threeByteCharacterYieldsNothingUntilItsLastByte() {
    // € = U+20AC = E2 82 AC
    assertEquals(List.of("", "", "€"), pushAll(0xE2, 0x82, 0xAC));
  }

  @Test
  void fourByteCharacterYieldsTheWholeSurrogatePairOnItsLastByte() {
    // 😀 = U+1F600 = F0 9F 98 80, two UTF-16 chars
    List<String> out = pushAll(0xF0, 0x9F, 0x98, 0x80);
    assertEquals(List.of("", "", "", "\uD83D\uDE00"), out);
    assertEquals(0x1F600, out.get(3).codePointAt(0));
  }

  @Test
  void largestCodePointDecodes() {
    // U+10FFFF = F4 8F BF BF
    assertEquals(
        List.of("", "", "", new String(Character.toChars(0x10FFFF))),
        pushAll(0xF4, 0x8F, 0xBF, 0xBF));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Hello, world!\n",
        "wörld € 😀 日本語\ttab ~",
        "Ünïcödé: ß, ñ, ø, Ω, Ж, 한국어, 🎉🚀, 𝄞 end",
        ""
      })
  void concatenatedOutputsEqualTheDecodedString(String s) {
    assertEquals(s, decode(new ByteText(), s));
  }

  @Test
  void everyValidCodePointRoundTrips() {
    ByteText t = new ByteText();
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
      if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
        continue;
      }
      String s = new String(Character.toChars(cp));
      assertEquals(s, decode(t, s), () -> "U+" + Integer.toHexString(s.codePointAt(0)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Invalid sequences

  @ParameterizedTest
  @ValueSource(ints = {0x80, 0x9F, 0xBF, 0xC0, 0xC1, 0xF5, 0xF8, 0xFE, 0xFF})
  void byteThatCannotStartACharacterYieldsReplacement(int b) {
    // Lone continuation bytes, overlong-only leads C0/C1 and leads beyond U+10FFFF (F5..FF).
    ByteText t = new ByteText();
    assertEquals(BAD, t.push(b));
    assertEquals("A", t.push('A'), "the decoder recovers");
  }

  @Test
  void characterCutShortByAsciiYieldsReplacementThenTheAscii() {
    // C3 expects one continuation byte; 'A' is not one.
    assertEquals(List.of("", BAD + "A"), pushAll(0xC3, 'A'));
    // E2 82 expects one more continuation byte.
    assertEquals(List.of("", "", BAD + "!"), pushAll(0xE2, 0x82, '!'));
  }

  @Test
  void characterCutShortByANewCharacterYieldsReplacementThenDecodesTheNewOne() {
    // E2 82 then a complete € (E2 82 AC).
    assertEquals(List.of("", "", BAD, "", "€"), pushAll(0xE2, 0x82, 0xE2, 0x82, 0xAC));
    // F0 9F then a complete é.
    assertEquals(List.of("", "", BAD, "é"), pushAll(0xF0, 0x9F, 0xC3, 0xA9));
  }

  @Test
  void characterCutShortByAnInvalidLeadYieldsTwoReplacements() {
    assertEquals(List.of("", BAD + BAD), pushAll(0xC3, 0xFF));
  }

  @Test
  void overlongEncodingsYieldReplacement() {
    // '/' (U+002F) written as C0 AF, E0 80 AF and F0 80 80 AF.
    assertEquals(List.of(BAD, BAD), pushAll(0xC0, 0xAF));
    assertEquals(BAD, String.join("", pushAll(0xE0, 0x80, 0xAF)));
    assertEquals(BAD, String.join("", pushAll(0xF0, 0x80, 0x80, 0xAF)));
    assertEquals("", pushAll(0xE0, 0x80, 0xAF).get(1), "nothing until the sequence ends");
  }

  @Test
  void encodedSurrogateYieldsReplacement() {
    // U+D800 encoded as ED A0 80 is not valid UTF-8.
    assertEquals(List.of("", "", BAD), pushAll(0xED, 0xA0, 0x80));
  }

  @Test
  void codePointBeyondUnicodeYieldsReplacement() {
    // F4 90 80 80 would be U+110000.
    assertEquals(List.of("", "", "", BAD), pushAll(0xF4, 0x90, 0x80, 0x80));
  }

  @Test
  void decodingContinuesCorrectlyAfterInvalidInput() {
    ByteText t = new ByteText();
    pushAll(t, 0xFF, 0xE2, 0x82, 0xED, 0xA0, 0x80, 0xC3);
    assertEquals(BAD + "ok €", decode(t, "ok €"));
    assertEquals("😀", decode(t, "😀"));
  }

  // ---------------------------------------------------------------------------------------------
  // Labels

  @Test
  void labelShowsPrintableAsciiAsItself() {
    for (int b = 0x20; b < 0x7F; b++) {
      assertEquals(String.valueOf((char) b), ByteText.label(b), "byte " + b);
    }
    assertEquals(" ", ByteText.label(' '));
    assertEquals("~", ByteText.label('~'));
  }

  @ParameterizedTest
  @ValueSource(ints = {0x00, 0x01, 0x0D, 0x1B, 0x1F, 0x7F, 0x80, 0xA9, 0xC3, 0xE9, 0xFF})
  void labelShowsOtherBytesAsUpperCaseHex(int b) {
    assertEquals(String.format("<0x%02X>", b), ByteText.label(b));
  }

  @Test
  void labelHexExamples() {
    assertEquals("<0x00>", ByteText.label(0));
    assertEquals("<0x7F>", ByteText.label(127));
    assertEquals("<0xE9>", ByteText.label(0xE9));
    assertEquals("<0xFF>", ByteText.label(255));
  }

  @Test
  void labelShowsNewlineAndTabAsVisibleEscapes() {
    assertEquals("\\n", ByteText.label('\n'));
    assertEquals("\\t", ByteText.label('\t'));
  }
}
