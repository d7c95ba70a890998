package dev.teardown.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The kernel's counters as {@code nstat -asz} prints them (absolute values, history neither read nor written),
 * run from the calling thread so they are the counters of its network namespace: an observer independent of
 * teardown, e.g. {@code TcpExtTCPTimeWaitOverflow}, {@code TcpExtTCPAbortOnTimeout}, {@code TcpExtListenOverflows}.
 */
final class Nstat {
    private final Map<String, Long> counters;

    private Nstat(Map<String, Long> counters) {
        this.counters = counters;
    }

    /** Reads every counter now. */
    static Nstat read() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nstat", "-asz").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("nstat -asz failed: " + out.trim());
        }
        Map<String, Long> m = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && !f[0].startsWith("#")) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException notACounter) {
                    // a header line
                }
            }
        }
        if (m.isEmpty()) {
            throw new IOException("nstat printed no counters: " + out.trim());
        }
        return new Nstat(m);
    }

    /** The counter's value; a counter this kernel does not have reads as -1. */
    long get(String name) {
        return counters.getOrDefault(name, -1L);
    }

    /** How much {@code name} grew since {@code before}. */
    long since(Nstat before, String name) {
        return get(name) - before.get(name);
    }
}
