package dev.teardown.nativepeers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every churn variant against accept-close-listener in the mode it needs: the RESULT line parses,
 * every attempt completed without error, and TIME_WAIT (seen by ss) is on the side that closed first.
 * Counts stay small: each connection but the aborted ones leaves a TIME_WAIT on the host for 60 s.
 * Speeds are printed, never asserted.
 */
@Timeout(120)
class ChurnTest {
    private static final Duration RUN_LIMIT = Duration.ofSeconds(60);

    @ParameterizedTest(name = "{0} against {1}, exchange={2}, threads={3}")
    @CsvSource({
        "client-first, wait-for-client,      false, 1, 2000",
        "server-first, close-first,          false, 1, 2000",
        "abort,        wait-for-client,      false, 1, 2000",
        "graceful,     wait-for-client,      false, 1, 2000",
        "client-first, wait-for-client,      true,  2, 300",
        "server-first, echo-byte-then-close, true,  2, 300",
        "abort,        wait-for-client,      true,  2, 300",
        "graceful,     wait-for-client,      true,  2, 300",
    })
    void variantAgainstItsListenerMode(String variant, String mode, boolean exchange, int threads, int count)
            throws Exception {
        try (PeerProcess listener = PeerProcess.start("accept-close-listener", "--mode", mode, "--port", "0",
                "--threads", "2")) {
            int port = listener.listeningPort();
            Set<SocketStates.Row> timeWaitBefore = timeWait(port);

            List<String> args = new ArrayList<>(List.of("--address", "127.0.0.1", "--port", Integer.toString(port),
                    "--variant", variant, "--count", Integer.toString(count), "--threads", Integer.toString(threads),
                    "--io-timeout", "5000"));
            if (exchange) {
                args.add("--exchange");
            }
            Map<String, String> result = runChurn(args);
            assertEquals(variant, result.get("variant"));
            assertEquals(count, longOf(result, "conns"), "conns");
            assertEquals(count, longOf(result, "attempts"), "attempts");
            assertEquals(0, longOf(result, "errors"), "errors");
            assertEquals(0, longOf(result, "eaddrnotavail"), "eaddrnotavail");
            assertEquals("none", result.get("errnos"));
            assertEquals(threads, longOf(result, "threads"));
            assertEquals(exchange ? 1 : 0, longOf(result, "exchange"));
            assertTrue(Double.parseDouble(result.get("seconds")) >= 0);
            for (String key : List.of("conns_per_sec", "close_ns_mean", "close_ns_median", "close_ns_p99",
                    "close_call_ns_mean", "close_call_ns_median")) {
                assertTrue(Double.parseDouble(result.get(key)) >= 0, key);
            }

            // TIME_WAIT falls on whoever closed first; an abort leaves none on either side.
            Set<SocketStates.Row> fresh = timeWait(port);
            fresh.removeAll(timeWaitBefore);
            long serverSide = fresh.stream().filter(r -> r.localPort() == port).count();
            long clientSide = fresh.stream().filter(r -> r.peerPort() == port).count();
            String seen = "new TIME-WAIT rows: server side " + serverSide + ", client side " + clientSide;
            switch (variant) {
                case "client-first", "graceful" -> assertTrue(clientSide > 0 && serverSide == 0, seen);
                case "server-first" -> assertTrue(serverSide > 0 && clientSide == 0, seen);
                case "abort" -> assertTrue(serverSide == 0 && clientSide == 0, seen);
                default -> fail(variant);
            }

            assertEquals(0, listener.stop(), listener.describe());
            Map<String, String> stats = parse(lineStarting(listener, "STATS "));
            assertEquals(mode, stats.get("mode"));
            assertEquals(0, longOf(stats, "errors"), listener.describe());
            // Where the protocol makes the client wait for the listener, the listener served every one.
            if (exchange || !variant.equals("client-first") && !variant.equals("abort")) {
                assertEquals(count, longOf(stats, "accepted"), listener.describe());
            }
            if (exchange) {
                assertEquals(count, longOf(stats, "echoed_bytes"), listener.describe());
            }
        }
    }

    @Test
    void durationModeWithThreads() throws Exception {
        try (PeerProcess listener = PeerProcess.start("accept-close-listener", "--mode", "wait-for-client",
                "--port", "0")) {
            int port = listener.listeningPort();
            // abort leaves no TIME_WAIT behind, so a timed run does not load the host's table.
            Map<String, String> result = runChurn(List.of("--port", Integer.toString(port), "--variant", "abort",
                    "--duration", "0.3", "--threads", "2"));
            assertTrue(longOf(result, "conns") > 0, result.toString());
            assertEquals(longOf(result, "attempts"), longOf(result, "conns"));
            assertEquals(0, longOf(result, "errors"));
            assertEquals(2, longOf(result, "threads"));
        }
    }

    @Test
    void aWrongPeerFailsWithAReasonInsteadOfHanging() throws Exception {
        // server-first waits for the server's FIN, which wait-for-client never sends first.
        try (PeerProcess listener = PeerProcess.start("accept-close-listener", "--mode", "wait-for-client",
                "--port", "0")) {
            int port = listener.listeningPort();
            try (PeerProcess churn = PeerProcess.start("churn", "--port", Integer.toString(port),
                    "--variant", "server-first", "--count", "2", "--io-timeout", "200")) {
                assertEquals(0, churn.awaitExit(RUN_LIMIT), churn.describe());
                Map<String, String> result = parse(lineStarting(churn, "RESULT "));
                assertEquals(0, longOf(result, "conns"));
                assertEquals(2, longOf(result, "errors"));
                assertEquals("read:EAGAIN:2", result.get("errnos"));
                assertTrue(churn.stderr().contains("--io-timeout expired"), churn.stderr());
            }
        }
    }

    @Test
    void badUsageExitsWithStatus2AndSaysWhy() throws Exception {
        try (PeerProcess churn = PeerProcess.start("churn", "--port", "1", "--variant", "nope", "--count", "1")) {
            assertEquals(2, churn.awaitExit(RUN_LIMIT));
            assertTrue(churn.stderr().contains("unknown --variant 'nope'"), churn.stderr());
        }
        try (PeerProcess churn = PeerProcess.start("churn", "--port", "1", "--count", "1", "--duration", "1")) {
            assertEquals(2, churn.awaitExit(RUN_LIMIT));
            assertTrue(churn.stderr().contains("exactly one of --count"), churn.stderr());
        }
        try (PeerProcess listener = PeerProcess.start("accept-close-listener", "--mode", "nope")) {
            assertEquals(2, listener.awaitExit(RUN_LIMIT));
            assertTrue(listener.stderr().contains("unknown --mode 'nope'"), listener.stderr());
        }
    }

    private static Map<String, String> runChurn(List<String> args) throws Exception {
        try (PeerProcess churn = PeerProcess.start("churn", args.toArray(String[]::new))) {
            assertEquals(0, churn.awaitExit(RUN_LIMIT), churn.describe());
            String line = lineStarting(churn, "RESULT ");
            System.out.println(line);
            return parse(line);
        }
    }

    private static Set<SocketStates.Row> timeWait(int port) throws Exception {
        Set<SocketStates.Row> rows = new HashSet<>();
        for (SocketStates.Row r : SocketStates.snapshot(port)) {
            if (r.state().equals("TIME-WAIT")) {
                rows.add(r);
            }
        }
        return rows;
    }

    private static String lineStarting(PeerProcess p, String prefix) {
        List<String> matches = p.stdoutLines().stream().filter(l -> l.startsWith(prefix)).toList();
        assertEquals(1, matches.size(), "exactly one '" + prefix + "' line expected\n" + p.describe());
        return matches.get(0);
    }

    /** "RESULT a=1 b=x" -> {a=1, b=x}; every token after the first must be key=value. */
    static Map<String, String> parse(String line) {
        String[] tokens = line.trim().split(" ");
        Map<String, String> map = new HashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            int eq = tokens[i].indexOf('=');
            assertTrue(eq > 0, "not key=value: '" + tokens[i] + "' in " + line);
            map.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
        }
        return map;
    }

    private static long longOf(Map<String, String> map, String key) {
        String v = map.get(key);
        assertNotNull(v, "missing " + key + " in " + map);
        return Long.parseLong(v);
    }
}
