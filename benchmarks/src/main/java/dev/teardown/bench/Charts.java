package dev.teardown.bench;

import dev.teardown.bench.Driver.ChurnIt;
import dev.teardown.bench.Driver.Lat;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** PNG plots drawn with XChart: close-latency percentiles per mode, churn throughput, TIME_WAIT over time. */
final class Charts {
    private Charts() {}

    /** Distinct colours, in series order. */
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    static List<Path> write(Path dir, Map<String, Lat> latency, List<ChurnIt> churn, Path timewaitCsv) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        if (!latency.isEmpty()) {
            written.add(latency(dir.resolve("close-latency-percentiles.png"), latency));
        }
        if (!churn.isEmpty()) {
            written.add(churn(dir.resolve("churn-throughput.png"), churn));
        }
        if (Files.exists(timewaitCsv)) {
            written.add(timeWait(dir.resolve("timewait-under-load.png"), timewaitCsv));
        }
        return written;
    }

    /** One panel per close mode: p50, p90, p99, p99.9 of the close path, one line per client (log scale). */
    private static Path latency(Path file, Map<String, Lat> latency) throws IOException {
        List<String> pct = List.of("p50", "p90", "p99", "p99.9");
        List<Chart<?, ?>> panels = new ArrayList<>();
        for (Variant v : Variant.values()) {
            CategoryChart c = new CategoryChartBuilder().width(620).height(420)
                    .title("close path: " + v.label + " (teardown " + v.teardownMode + ")")
                    .xAxisTitle("percentile").yAxisTitle("ns").build();
            c.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
            c.getStyler().setYAxisLogarithmic(true);
            c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
            c.getStyler().setChartBackgroundColor(Color.WHITE);
            c.getStyler().setSeriesColors(PALETTE);
            int series = 0;
            for (String client : Tables.CLIENTS) {
                Lat l = latency.get(client + "/" + v.label);
                if (l == null || !(l.p50() > 0)) {
                    continue;
                }
                c.addSeries(client, pct, List.of(l.p50(), l.p90(), l.p99(), Math.max(l.p999(), l.p99())));
                series++;
            }
            if (series > 0) {
                panels.add(c);
            }
        }
        return grid(file, panels, 3, 620, 420);
    }

    /** Churn: median connections/s per variant, one bar per client. */
    private static Path churn(Path file, List<ChurnIt> churn) throws IOException {
        Map<String, Map<String, Double>> byClient = new LinkedHashMap<>();
        List<String> cats = new ArrayList<>();
        for (Variant v : Variant.values()) {
            for (boolean x : new boolean[] {false, true}) {
                String cat = v.label + (x ? " +1B" : "");
                boolean any = false;
                for (String client : Tables.CLIENTS) {
                    double m = Tables.medianRate(churn, client, v, x);
                    if (!Double.isNaN(m)) {
                        byClient.computeIfAbsent(client, k -> new LinkedHashMap<>()).put(cat, m);
                        any = true;
                    }
                }
                if (any) {
                    cats.add(cat);
                }
            }
        }
        CategoryChart c = new CategoryChartBuilder().width(1300).height(520)
                .title("churn: connect, [1-byte exchange], close - connections/s, one client thread, median")
                .xAxisTitle("variant").yAxisTitle("connections/s").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setSeriesColors(PALETTE);
        for (Map.Entry<String, Map<String, Double>> e : byClient.entrySet()) {
            List<Double> ys = new ArrayList<>();
            for (String cat : cats) {
                ys.add(e.getValue().getOrDefault(cat, 0.0));
            }
            c.addSeries(e.getKey(), cats, ys);
        }
        return grid(file, List.of(c), 1, 1300, 520);
    }

    /** TIME_WAIT count and connections/s per second, one line per strategy. */
    private static Path timeWait(Path file, Path csv) throws IOException {
        Map<String, List<double[]>> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(csv)) {
            String[] f = line.split(",");
            if (f.length < 5 || f[0].equals("strategy") || !f[1].equals("1")) {
                continue; // the first round: one line per strategy
            }
            rows.computeIfAbsent(f[0], k -> new ArrayList<>())
                    .add(new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])});
        }
        XYChart tw = new XYChartBuilder().width(1100).height(460).title("TIME_WAIT sockets in the namespace (TcpTable.counts), default port range, 2 teardown client threads")
                .xAxisTitle("seconds").yAxisTitle("TIME_WAIT").build();
        XYChart rate = new XYChartBuilder().width(1100).height(460).title("connections/s")
                .xAxisTitle("seconds").yAxisTitle("connections/s").build();
        for (XYChart c : List.of(tw, rate)) {
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            c.getStyler().setMarkerSize(4);
            c.getStyler().setChartBackgroundColor(Color.WHITE);
            c.getStyler().setSeriesColors(PALETTE);
        }
        for (Map.Entry<String, List<double[]>> e : rows.entrySet()) {
            List<double[]> r = e.getValue();
            double[] x = new double[r.size()];
            double[] y1 = new double[r.size()];
            double[] y2 = new double[r.size()];
            for (int i = 0; i < r.size(); i++) {
                x[i] = r.get(i)[0];
                y1[i] = r.get(i)[1];
                y2[i] = r.get(i)[2];
            }
            tw.addSeries(e.getKey(), x, y1);
            rate.addSeries(e.getKey(), x, y2);
        }
        return grid(file, List.of(tw, rate), 1, 1100, 460);
    }

    /** Paints the charts into one image, {@code cols} per row. */
    private static Path grid(Path file, List<? extends Chart<?, ?>> charts, int cols, int w, int h) throws IOException {
        int n = Math.max(1, charts.size());
        int c = Math.min(cols, n);
        int rowsN = (n + c - 1) / c;
        BufferedImage img = new BufferedImage(c * w, rowsN * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D sub = (Graphics2D) g.create((i % c) * w, (i / c) * h, w, h);
            charts.get(i).paint(sub, w, h);
            sub.dispose();
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
        return file;
    }
}
