package org.sparsityworkbench.app;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.sparsityworkbench.engine.bench.ModelBench;

/** The workbench's version of the paper's Table 1: decode time per token against model width. */
final class ScalingChart {
  private ScalingChart() {}

  static void write(List<ModelBench.Row> rows, int layers, int context, Path file)
      throws IOException {
    Map<String, XYSeries> series = new LinkedHashMap<>();
    for (ModelBench.Row r : rows) {
      series.computeIfAbsent(r.family(), XYSeries::new).add(r.d(), r.msPerToken());
    }
    XYSeriesCollection data = new XYSeriesCollection();
    series.values().forEach(data::addSeries);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Decode time per token, " + layers + " layers, context " + context,
            "d_model",
            "ms per token",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    LogAxis x = new LogAxis("d_model (log scale)");
    x.setBase(2);
    x.setTickUnit(new NumberTickUnit(1)); // one tick per power of two
    x.setNumberFormatOverride(new DecimalFormat("0"));
    x.setSmallestValue(128);
    plot.setDomainAxis(x);
    LogarithmicAxis y = new LogarithmicAxis("ms per token (log scale)");
    y.setStrictValuesFlag(false);
    plot.setRangeAxis(y);
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
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 540);
  }
}
