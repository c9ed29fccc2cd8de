package org.sparsityworkbench.views;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Chart colours: categories that stay apart, also for colour-blind readers; ramps per theme. */
class PaletteTest {
  @Test
  void okLabMatchesItsReferenceValues() {
    // Björn Ottosson's reference: sRGB red is (0.627955, 0.224863, 0.125846), white (1, 0, 0).
    assertArrayEquals(new double[] {0.627955, 0.224863, 0.125846}, Palette.okLab(0xffff0000), 1e-4);
    assertArrayEquals(new double[] {1, 0, 0}, Palette.okLab(0xffffffff), 1e-4);
    assertEquals(100, Palette.distance(0xff000000, 0xffffffff), 0.01);
    // Red and green, far apart for most readers, nearly meet for a deuteranope.
    assertTrue(Palette.distance(0xffd62728, 0xff2ca02c) < 15, "deuteranopia simulated");
  }

  /** The smallest distance among the first n of n categories, and between neighbours. */
  private static double[] spread(int n) {
    double all = Double.MAX_VALUE;
    double neighbours = Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double d = Palette.distance(Palette.category(i, n), Palette.category(j, n));
        all = Math.min(all, d);
        if (j == i + 1) {
          neighbours = Math.min(neighbours, d);
        }
      }
    }
    return new double[] {all, neighbours};
  }

  @Test
  void categoriesStayDistinguishableForColourBlindReadersUpTo64() {
    // Distances are OKLab x 100, the least of normal vision, protanopia and deuteranopia.
    for (int n = 2; n <= 16; n++) {
      double[] s = spread(n);
      assertTrue(s[0] >= 7, n + " categories: every pair apart, closest " + s[0]);
    }
    for (int n : new int[] {24, 32, 48, 64}) {
      double[] s = spread(n);
      assertTrue(s[0] >= 3, n + " categories: every pair apart, closest " + s[0]);
      assertTrue(s[1] >= 6, n + " categories: neighbours apart, closest " + s[1]);
    }
  }

  @Test
  void anExpertKeepsItsColourWhateverTheNumberOfExperts() {
    for (int i = 0; i < 8; i++) {
      assertEquals(Palette.category(i, 8), Palette.category(i, 64), "category " + i);
    }
    // Okabe & Ito's colour-blind safe set comes first.
    assertEquals(0xffe69f00, Palette.category(0, 8));
    assertEquals(0xff56b4e9, Palette.category(1, 8));
  }
}
