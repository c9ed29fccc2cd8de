package org.sparsityworkbench.app;

import com.google.gson.GsonBuilder;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.sparsityworkbench.engine.Engines;
import org.sparsityworkbench.engine.bench.MegabyteBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench megabyte}: Megabyte against a byte-level dense transformer, time per byte. */
@Command(
    name = "megabyte",
    mixinStandardHelpOptions = true,
    description =
        "Generation time per byte of a dense byte-level transformer and of Megabyte at about its"
            + " parameters and at 4x, random weights, greedy, from one byte of prompt; the time to"
            + " the first N bytes at each length, in rounds that decode with each model once in a"
            + " rotating order; the median and range over rounds, and the dense model's time over"
            + " each model's in the same round.")
final class MegabyteBenchCommand implements Callable<Integer> {
  @Option(
      names = "--lengths",
      split = ",",
      description = "Bytes generated, ascending (default 1024,4096,8192,16384).")
  List<Integer> lengths = new ArrayList<>(List.of(1024, 4096, 8192, 16384));

  @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds (default 3).")
  int rounds;

  @Option(names = "--json", description = "Print JSON rows.")
  boolean json;

  @Option(names = "--chart", description = "Write a PNG chart of ms per byte against length.")
  Path chart;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rounds must be >= 1");
    }
    for (int i = 0; i < lengths.size(); i++) {
      if (lengths.get(i) < 1 || (i > 0 && lengths.get(i) <= lengths.get(i - 1))) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--lengths must be positive and ascending: " + lengths);
      }
    }
    PrintWriter w = spec.commandLine().getOut();
    int[] ls = lengths.stream().mapToInt(Integer::intValue).toArray();
    var shapes = MegabyteBench.shapes(ls[ls.length - 1]);
    if (!json) {
      w.println("# " + Engines.describe() + ", " + rounds + " rounds");
      w.println("# dense: " + shapes.dense().toMap());
      w.println("# megabyte (1.1x params): " + shapes.equal().toMap());
      w.println("# megabyte (4.1x params): " + shapes.fourTimes().toMap());
      w.flush();
    }
    List<MegabyteBench.Row> rows =
        MegabyteBench.measure(
            ls,
            rounds,
            r -> {
              if (!json) {
                w.printf(
                    Locale.ROOT,
                    "# round: ms/byte at %d bytes: dense %.3f, megabyte 1.1x %.3f, 4.1x %.3f%n",
                    ls[ls.length - 1],
                    r[0],
                    r[1],
                    r[2]);
                w.flush();
              }
            });
    if (json) {
      var gson = new GsonBuilder().create();
      rows.forEach(r -> w.println(gson.toJson(r)));
    } else {
      w.println(
          "model | params | non-embedding params | bytes | ms/byte median (min-max) | dense"
              + " time / this (min-max)");
      for (MegabyteBench.Row r : rows) {
        w.printf(
            Locale.ROOT,
            "%s | %,d | %,d | %,d | %.3f (%.3f-%.3f) | %.2fx (%.2f-%.2f)%n",
            r.model(),
            r.params(),
            r.nonEmbeddingParams(),
            r.bytes(),
            r.msPerByte(),
            r.msMin(),
            r.msMax(),
            r.speedup(),
            r.speedupMin(),
            r.speedupMax());
      }
    }
    w.flush();
    if (chart != null) {
      chart(rows, chart);
    }
    return 0;
  }

  static void chart(List<MegabyteBench.Row> rows, Path file) throws java.io.IOException {
    Map<String, XYSeries> series = new LinkedHashMap<>();
    for (MegabyteBench.Row r : rows) {
      series
          .computeIfAbsent(
              r.model()
                  + String.format(
                      Locale.ROOT, ", %.1fM non-embedding params", r.nonEmbeddingParams() / 1e6),
              XYSeries::new)
          .add(r.bytes(), r.msPerByte());
    }
    XYSeriesCollection data = new XYSeriesCollection();
    series.values().forEach(data::addSeries);
    JFreeChart c =
        ChartFactory.createXYLineChart(
            "Generation time per byte, 1 thread, random weights",
            "bytes generated",
            "ms per byte",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = c.getXYPlot();
    LogAxis x = new LogAxis("bytes generated (log scale)");
    x.setBase(2);
    x.setTickUnit(new NumberTickUnit(1));
    x.setNumberFormatOverride(new DecimalFormat("0"));
    plot.setDomainAxis(x);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    Color[] colors = {new Color(0x444b57), new Color(0x3b6fd8), new Color(0xd8703b)};
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesPaint(i, colors[i % colors.length]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    ChartUtils.saveChartAsPNG(file.toFile(), c, 900, 540);
  }
}
