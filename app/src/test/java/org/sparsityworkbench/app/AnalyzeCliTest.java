package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.analysis.AnalysisFiles;

/** {@code analyze} as a user runs it: tables and a summary, or one clear line. */
class AnalyzeCliTest {
  @TempDir Path dir;

  private Path corpus() throws Exception {
    Path c = dir.resolve("corpus");
    Files.createDirectories(c.resolve("english"));
    Files.createDirectories(c.resolve("numbers"));
    Files.writeString(c.resolve("english/a.txt"), "It was the best of times. ".repeat(40));
    Files.writeString(c.resolve("numbers/b.csv"), "3,1,4,1,5,9,2,6\n".repeat(40));
    return c;
  }

  @Test
  void writesEveryTableAndASummaryThatSaysWhatItCovered() throws Exception {
    Path model = CliTest.init(dir, "topk");
    Path out = dir.resolve("out");
    CliTest.Result r =
        CliTest.run(
            "analyze",
            "--model",
            model.toString(),
            "--corpus",
            corpus().toString(),
            "--tokens",
            "1000",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("topk: 1,000 tokens of "), r.out());
    assertTrue(r.out().contains("layer 1: 4 experts, top-2; load entropy "), r.out());
    for (String f : AnalysisFiles.NAMES) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    JsonObject s =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(1000, s.get("tokens").getAsLong());
    assertEquals(500, s.getAsJsonObject("domain_tokens").get("english").getAsLong(), "even shares");
    assertEquals(500, s.getAsJsonObject("domain_tokens").get("numbers").getAsLong());
    // expert_use.csv: the counts of every domain sum to its tokens x k.
    List<String> rows = Files.readAllLines(out.resolve("expert_use.csv"));
    long english = 0;
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split(",");
      if (f[0].equals("0") && f[1].equals("english")) {
        english += Long.parseLong(f[3]);
      }
    }
    assertEquals(1000, english, "500 tokens x top-2");
  }

  @Test
  void saturationAgainstTheSameModelIsOne() throws Exception {
    Path model = CliTest.init(dir, "switch");
    Path out = dir.resolve("out");
    CliTest.Result r =
        CliTest.run(
            "analyze",
            "--model",
            model.toString(),
            "--compare",
            model.toString(),
            "--corpus",
            corpus().toString(),
            "--tokens",
            "600",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> rows = Files.readAllLines(out.resolve("saturation.csv"));
    assertEquals(
        List.of(
            "layer,tokens,mean_overlap,identical_share",
            "0,600,1.000000,1.000000",
            "1,600,1.000000,1.000000"),
        rows);
  }

  @Test
  void aDenseModelOrAMissingCorpusIsOneClearLine() throws Exception {
    Path model = CliTest.init(dir, "dense");
    CliTest.Result r =
        CliTest.run(
            "analyze",
            "--model",
            model.toString(),
            "--corpus",
            corpus().toString(),
            "--out",
            dir.resolve("o").toString());
    assertEquals(1, r.code());
    assertEquals(
        "error: dense (dense) has no routed or sparse feed-forward layer: there are no choices to"
            + " count\n",
        r.err().replace("\r", "").lines().filter(l -> l.startsWith("error")).findFirst().orElse("")
            + "\n");
    CliTest.Result missing =
        CliTest.run(
            "analyze",
            "--model",
            CliTest.init(dir, "switch").toString(),
            "--corpus",
            dir.resolve("nowhere").toString(),
            "--out",
            dir.resolve("o").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("nowhere: no such corpus folder"), missing.err());
  }

  @Test
  void foldersGivenOneByOneAreTheDomains() throws Exception {
    Path model = CliTest.init(dir, "switch");
    Path c = corpus();
    Path out = dir.resolve("out");
    CliTest.Result r =
        CliTest.run(
            "analyze",
            "--model",
            model.toString(),
            "--domain",
            c.resolve("numbers").toString(),
            "--domain",
            c.resolve("english").toString(),
            "--tokens",
            "400",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    JsonObject s =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(
        List.of("numbers", "english"),
        List.copyOf(s.getAsJsonObject("domain_tokens").keySet()),
        "in the order given");
    CliTest.Result both =
        CliTest.run(
            "analyze",
            "--model",
            model.toString(),
            "--corpus",
            c.toString(),
            "--domain",
            c.resolve("english").toString(),
            "--out",
            out.toString());
    assertEquals(2, both.code());
    assertTrue(both.err().contains("either --corpus DIR or one --domain DIR"), both.err());
  }
}
