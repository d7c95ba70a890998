package dev.teardown.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The independent observer: runs {@code ss -tanH} as a process (from the calling thread, so it sees the
 * thread's network namespace) and reports the state of a connection as ss spells it (ESTAB, CLOSE-WAIT,
 * FIN-WAIT-2, TIME-WAIT...), or GONE when ss lists none.
 */
final class Ss {
    private Ss() {}

    static String state(int localPort, int peerPort) {
        List<String> found = new ArrayList<>();
        for (String line : run().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && port(f[3]) == localPort && port(f[4]) == peerPort) {
                found.add(f[0]);
            }
        }
        return found.isEmpty() ? "GONE" : String.join("+", found);
    }

    /** Polls until the connection is in {@code want} or {@code millis} pass; returns the last state seen. */
    static String await(int localPort, int peerPort, String want, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        String s;
        do {
            s = state(localPort, peerPort);
            if (s.equals(want)) {
                return s;
            }
            Thread.sleep(25);
        } while (System.nanoTime() < end);
        return s;
    }

    /** Number of sockets in {@code ssState} (ss filter syntax: time-wait, fin-wait-2...) whose ports include {@code port}. */
    static int count(String ssState, int port) {
        int n = 0;
        for (String line : run("state", ssState).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && (port(f[f.length - 2]) == port || port(f[f.length - 1]) == port)) {
                n++;
            }
        }
        return n;
    }

    /** Local ports of the sockets in {@code ssState} (ss filter syntax) whose peer port is {@code peerPort}. */
    static List<Integer> localPorts(String ssState, int peerPort) {
        List<Integer> ports = new ArrayList<>();
        for (String line : run("state", ssState).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && port(f[f.length - 1]) == peerPort) {
                ports.add(port(f[f.length - 2]));
            }
        }
        return ports;
    }

    /** Sockets in {@code ssState} (ss filter syntax), whatever their ports: for a private namespace, all of ours. */
    static int countAll(String ssState) {
        int n = 0;
        for (String line : run("state", ssState).split("\n")) {
            if (!line.isBlank()) {
                n++;
            }
        }
        return n;
    }

    /**
     * The connection's line from {@code ss -tanoeH} (state, queues, addresses, timer, uid, inode...), with runs of
     * blanks squeezed, or GONE.
     */
    static String detail(int localPort, int peerPort) {
        for (String line : run("-oe").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && port(f[3]) == localPort && port(f[4]) == peerPort) {
                return String.join(" ", f);
            }
        }
        return "GONE";
    }

    /**
     * The timer of an {@code ss -o} line as {name, seconds}, e.g. {"timewait", "59.0"} from
     * {@code timer:(timewait,59sec,0)}; null when the line has none. ss spells 2 s 736 ms as {@code 2.736ms},
     * 59 s as {@code 59sec}, 1 min 5 s as {@code 1min5sec}, and nothing left as an empty field.
     */
    static String[] timer(String line) {
        Matcher m = Pattern.compile("timer:\\((\\w+),([^,)]*)").matcher(line);
        if (!m.find()) {
            return null;
        }
        Matcher u = Pattern.compile("(?:(\\d+)min)?(?:(\\d+)(?:\\.|sec))?(?:(\\d+)ms)?").matcher(m.group(2));
        double secs = 0;
        if (u.matches()) {
            secs = (u.group(1) == null ? 0 : 60 * Integer.parseInt(u.group(1)))
                    + (u.group(2) == null ? 0 : Integer.parseInt(u.group(2)))
                    + (u.group(3) == null ? 0 : Integer.parseInt(u.group(3)) / 1000.0);
        }
        return new String[] {m.group(1), String.valueOf(secs)};
    }

    private static int port(String addr) {
        String p = addr.substring(addr.lastIndexOf(':') + 1);
        return p.equals("*") ? 0 : Integer.parseInt(p);
    }

    private static String run(String... filter) {
        List<String> cmd = new ArrayList<>(List.of("ss", "-tanH"));
        for (String f : filter) {
            if (f.startsWith("-")) {
                cmd.add(1, f);
            } else {
                cmd.add(f);
            }
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run ss (install iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
