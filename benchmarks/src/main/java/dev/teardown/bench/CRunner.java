package dev.teardown.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the C baseline programs (native churn, close-path) and parses their RESULT line. */
final class CRunner {
    private CRunner() {}

    /** churn against {@code port} for {@code seconds} (or {@code count} connections when seconds is 0). */
    static Map<String, String> churn(int port, Variant v, boolean exchange, double seconds, long count)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Bins.churn(), "--port", Integer.toString(port), "--variant", v.label));
        if (exchange) {
            cmd.add("--exchange");
        }
        addLength(cmd, seconds, count);
        return result(cmd);
    }

    /** close-path in mode {@code v} against {@code port}. */
    static Map<String, String> closePath(int port, Variant v, double seconds, long count)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Bins.closePath(), "-p", Integer.toString(port), "-m", v.label,
                "-l", Long.toString(Client.LINGER_TIMEOUT.getSeconds())));
        if (seconds > 0) {
            cmd.add("-d");
            cmd.add(Double.toString(seconds));
        } else {
            cmd.add("-n");
            cmd.add(Long.toString(count));
        }
        return result(cmd);
    }

    private static void addLength(List<String> cmd, double seconds, long count) {
        if (seconds > 0) {
            cmd.add("--duration");
            cmd.add(Double.toString(seconds));
        } else {
            cmd.add("--count");
            cmd.add(Long.toString(count));
        }
    }

    static Map<String, String> result(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": did not finish");
        }
        for (String line : out.split("\n")) {
            if (line.startsWith("RESULT ")) {
                Map<String, String> m = new LinkedHashMap<>();
                for (String kv : line.substring(7).trim().split(" ")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        m.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
                return m;
            }
        }
        throw new IOException(String.join(" ", cmd) + " printed no RESULT line (exit " + p.exitValue() + "): " + out.trim());
    }

    static double num(Map<String, String> m, String key) {
        String v = m.get(key);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }
}
