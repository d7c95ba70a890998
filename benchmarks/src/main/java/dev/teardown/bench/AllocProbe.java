package dev.teardown.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bytes the close path alone allocates, on the benchmark thread: the thread's allocation counter
 * ({@code getCurrentThreadAllocatedBytes}, exact to the byte, TLAB included) is read at the end of the
 * per-invocation setup and at the start of the per-invocation teardown, outside JMH's timed region. JMH's
 * {@code -prof gc} counts every thread for the whole iteration, the connection set-up included; this
 * counts the close only. Results go, when {@code -Dteardown.bench.allocOut=FILE} is set (the driver sets it),
 * as a CSV line {@code benchmark,mode,mean_bytes_per_close,closes,median_bytes_per_close} appended to FILE.
 */
final class AllocProbe {
    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long mark;
    private long total;
    private long count;
    private long overhead;
    private boolean on = true;
    private final TreeMap<Long, Long> histogram = new TreeMap<>();

    AllocProbe() {
        // What two back-to-back reads allocate (0 on HotSpot 17), subtracted from every sample.
        long a = MX.getCurrentThreadAllocatedBytes();
        long b = MX.getCurrentThreadAllocatedBytes();
        overhead = Math.max(0, b - a);
    }

    void mark() {
        mark = MX.getCurrentThreadAllocatedBytes();
    }

    /** Only measurement iterations count: warm-up runs interpreted and C1 code, which allocates more. */
    void counting(boolean on) {
        this.on = on;
    }

    void measure() {
        if (!on) {
            return;
        }
        long now = MX.getCurrentThreadAllocatedBytes();
        long d = Math.max(0, now - mark - overhead);
        total += d;
        count++;
        histogram.merge(d, 1L, Long::sum);
    }

    /** Mean bytes per close (rare large allocations, such as a JMH buffer growing, included). */
    double perClose() {
        return count == 0 ? Double.NaN : (double) total / count;
    }

    /** The median close's bytes: what one close typically allocates. */
    long medianPerClose() {
        long seen = 0;
        for (Map.Entry<Long, Long> e : histogram.entrySet()) {
            seen += e.getValue();
            if (seen * 2 >= count) {
                return e.getKey();
            }
        }
        return 0;
    }

    void report(String benchmark, String mode) {
        if (count == 0) {
            return;
        }
        String line = String.format(Locale.ROOT, "%s,%s,%.1f,%d,%d", benchmark, mode, perClose(), count, medianPerClose());
        String file = System.getProperty("teardown.bench.allocOut");
        if (file != null) {
            try {
                Files.write(Paths.get(file), (line + "\n").getBytes(StandardCharsets.US_ASCII),
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                System.err.println("could not append to " + file + ": " + e);
            }
        }
        total = 0;
        count = 0;
        histogram.clear();
    }
}
