package dev.teardown.nativepeers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.fail;

/** The independent observer: the kernel's TCP table as {@code ss -tanH} prints it. */
final class SocketStates {
    private SocketStates() {}

    /** One row: state as ss names it (CLOSE-WAIT, FIN-WAIT-2, TIME-WAIT, ...), both ends. */
    record Row(String state, String localHost, int localPort, String peerHost, int peerPort) {
        @Override
        public String toString() {
            return state + " " + localHost + ":" + localPort + " -> " + peerHost + ":" + peerPort;
        }
    }

    /** All TCP rows with port as source or destination port. */
    static List<Row> snapshot(int port) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-tanH", "( sport = :" + port + " or dport = :" + port + " )")
                .redirectErrorStream(true)
                .start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(ss.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        } finally {
            if (!ss.waitFor(10, TimeUnit.SECONDS)) {
                ss.destroyForcibly();
                fail("ss did not finish within 10 s");
            }
        }
        if (ss.exitValue() != 0) {
            fail("ss -tanH failed (" + ss.exitValue() + "): " + String.join("\n", lines));
        }
        List<Row> rows = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5) {
                continue;
            }
            String[] local = splitHostPort(f[3]);
            String[] peer = splitHostPort(f[4]);
            rows.add(new Row(f[0], local[0], parsePort(local[1]), peer[0], parsePort(peer[1])));
        }
        return rows;
    }

    /** "[::ffff:127.0.0.1]:80" -> {"127.0.0.1", "80"}; "127.0.0.1:80" -> {"127.0.0.1", "80"}. */
    private static String[] splitHostPort(String s) {
        int colon = s.lastIndexOf(':');
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.startsWith("::ffff:") && host.indexOf('.') > 0) {
            host = host.substring("::ffff:".length());
        }
        return new String[] {host, s.substring(colon + 1)};
    }

    private static int parsePort(String s) {
        return "*".equals(s) ? -1 : Integer.parseInt(s);
    }

    /** Polls every 50 ms until the rows satisfy the condition; fails with the last rows seen. */
    static List<Row> await(int port, Duration timeout, String what, Predicate<List<Row>> condition)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Row> rows;
        while (true) {
            rows = snapshot(port);
            if (condition.test(rows)) {
                return rows;
            }
            if (System.nanoTime() > deadline) {
                fail("ss never showed " + what + " within " + timeout + "; last rows:\n" + format(rows));
            }
            Thread.sleep(50);
        }
    }

    static String format(List<Row> rows) {
        return rows.isEmpty() ? "(none)" : rows.stream().map(Row::toString).collect(Collectors.joining("\n"));
    }
}
