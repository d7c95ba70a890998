package dev.teardown.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code doctor} run as its own JVM inside a private network namespace where a python3 process (with a
 * terminal escape sequence and invalid UTF-8 in its command line) holds CLOSE_WAIT sockets, has orphaned
 * FIN_WAIT2 peers, left TIME_WAIT towards one destination and has a listener with a full accept queue. Every
 * figure is checked against {@code ss} in the same namespace, and the JSON is read by python's strict parser.
 */
class DoctorTest {
    /**
     * The python process's argv[0]: ESC ] 0 ; (set the terminal's title), BEL, ESC [ 31 m (red); its last
     * argument: é and an invalid byte.
     */
    static final String HOSTILE_ARGV0 = "\"$(printf '\\033]0;pwned\\007\\033[31mred')\"";
    static final String HOSTILE_ARG = "\"$(printf 'caf\\303\\251\\377')\"";
    static final String ARGV0_ESCAPED = "\\x1b]0;pwned\\x07\\x1b[31mred";
    static final String ARG_ESCAPED = "café\\xff";

    static Namespace ns;
    static Process zoo;
    static long zooPid;
    static int closeWaitPort;
    static int timeWaitPort;
    static int fullPort;
    static Path resources;

    record Run(int exit, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void buildTheSituations() throws Exception {
        Needs.rootAndTools("unshare", "nsenter", "ip", "ss", "python3", "setpriv");
        resources = Files.createTempDirectory("doctor-test");
        for (String f : List.of("zoo.py", "churn.py", "check.py")) {
            try (var in = DoctorTest.class.getResourceAsStream("/" + f)) {
                Files.write(resources.resolve(f), in.readAllBytes());
            }
        }
        ns = new Namespace();
        // the interpreter itself, not a wrapper script (pyenv's shims re-exec and would drop argv[0])
        String python = ns.run("python3", "-c", "import sys; print(sys.executable)").trim();
        zoo = new ProcessBuilder(ns.in("bash", "-c", "exec -a " + HOSTILE_ARGV0 + " \"$0\" \"$1\" " + HOSTILE_ARG, python,
                resources.resolve("zoo.py").toString())).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        zooPid = zoo.pid(); // bash execs python3: the same process
        String ports = new BufferedReader(new InputStreamReader(zoo.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(ports != null && ports.startsWith("{"), "zoo.py did not start: " + ports);
        closeWaitPort = intField(ports, "close_wait_port");
        timeWaitPort = intField(ports, "time_wait_port");
        fullPort = intField(ports, "full_port");
        json = doctor("--json");
        facts = checked(json);
        prometheus = doctor("--prometheus");
        text = doctor();
    }

    static Run json;
    static List<String> facts;
    static Run prometheus;
    static Run text;

    @AfterAll
    static void tearDown() {
        if (zoo != null) {
            zoo.destroyForcibly();
        }
        if (ns != null) {
            ns.close();
        }
    }

    private static int intField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": (\\d+)").matcher(json);
        assertTrue(m.find(), json);
        return Integer.parseInt(m.group(1));
    }

    /** The runtime class path of the doctor: this module's classes, the library's, JNA's and picocli's. */
    static List<Path> classPath() throws Exception {
        List<Path> out = new ArrayList<>();
        for (Class<?> c : List.of(Main.class, dev.teardown.inspect.TcpTable.class, com.sun.jna.Native.class,
                picocli.CommandLine.class)) {
            out.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
        }
        return out;
    }

    /** The command line of a doctor in its own JVM. */
    static List<String> javaCommand(String cp, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, "dev.teardown.cli.Main", "doctor"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Run doctor(List<String> prefix, String cp, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(javaCommand(cp, args));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out, err);
    }

    static Run doctor(String... args) throws Exception {
        StringBuilder cp = new StringBuilder();
        for (Path p : classPath()) {
            cp.append(cp.length() == 0 ? "" : ":").append(p);
        }
        return doctor(ns.in(), cp.toString(), args);
    }

    /** The doctor's JSON as python's strict parser reads it: one fact per line. */
    static List<String> checked(Run r) throws Exception {
        return checked(r, resources.resolve("check.py"));
    }

    /** The doctor's JSON read by python's strict parser with {@code script}, which prints one fact per line. */
    static List<String> checked(Run r, Path script) throws Exception {
        assertEquals(0, r.exit(), r.err());
        ProcessBuilder pb = new ProcessBuilder("python3", script.toString());
        pb.environment().put("PYTHONIOENCODING", "utf-8");
        Process p = pb.start();
        p.getOutputStream().write(r.out());
        p.getOutputStream().close();
        String facts = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "python could not parse the JSON: " + err);
        return List.of(facts.split("\n"));
    }

    static List<String> facts(List<String> all, String kind) {
        List<String> out = new ArrayList<>();
        for (String f : all) {
            if (f.startsWith(kind + " ")) {
                out.add(f.substring(kind.length() + 1));
            }
        }
        return out;
    }

    /** ss -tanpH rows (without the state column) in one state, inside the namespace. */
    static List<String[]> ss(String state, String... filter) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ss", "-tanpeH", "state", state));
        cmd.addAll(List.of(filter));
        List<String[]> rows = new ArrayList<>();
        for (String line : ns.run(cmd.toArray(new String[0])).split("\n")) {
            if (!line.isBlank()) {
                rows.add(line.trim().split("\\s+"));
            }
        }
        return rows;
    }

    @Test
    void closeWaitHeldByAProcessIsGroupedUnderItsPidWithUnreadBytesAndAge() throws Exception {
        List<String[]> rows = ss("close-wait", "sport", "= :" + closeWaitPort);
        assertEquals(3, rows.size());
        long recvQ = 0;
        for (String[] r : rows) {
            recvQ += Long.parseLong(r[0]);
            assertTrue(String.join(" ", r).contains("pid=" + zooPid + ","), String.join(" ", r));
        }
        List<String> groups = facts(facts, "close_wait");
        assertEquals(1, groups.size(), groups.toString());
        String[] g = groups.get(0).split(" ", 6);
        assertEquals(Long.toString(zooPid), g[0]);
        assertEquals("CLOSE_WAIT", g[1]);
        assertEquals("3", g[2], "count");
        assertEquals(Long.toString(recvQ), g[3], "unread bytes as ss's Recv-Q: " + recvQ);
        assertTrue(Long.parseLong(g[4]) >= 0, "the FIN's age comes from tcp_info: " + g[4]);
        assertTrue(g[5].startsWith(ARGV0_ESCAPED + " ") && g[5].endsWith(" " + ARG_ESCAPED), g[5]);
        assertTrue(facts.contains("finding warning close-wait " + zooPid), facts.toString());
        assertTrue(facts.contains("state CLOSE_WAIT 3"), facts.toString());
    }

    @Test
    void orphanedFinWait2IsCountedAsSsShowsIt() throws Exception {
        // orphans: FIN-WAIT-2 with no descriptor (ino:0) and the timewait timer
        int orphans = 0;
        for (String[] r : ss("fin-wait-2")) {
            String row = String.join(" ", r);
            if (row.contains("ino:0") && row.contains("timer:(timewait")) {
                orphans++;
            }
        }
        assertEquals(3, orphans);
        assertEquals(List.of(Integer.toString(orphans)), facts(facts, "orphans"));
    }

    @Test
    void timeWaitTowardsOneDestinationIsCountedAgainstThePortRange() throws Exception {
        int tw = ss("time-wait", "dport", "= :" + timeWaitPort).size();
        assertEquals(20, tw);
        assertTrue(facts(facts, "destination").contains("127.0.0.1:" + timeWaitPort + " " + tw + " 0"), facts.toString());
        assertTrue(prometheus.text().contains("teardown_destination_time_wait_count{destination=\"127.0.0.1:" + timeWaitPort + "\"} " + tw),
                prometheus.text());
    }

    @Test
    void aListenerWithAFullAcceptQueueIsNamedWithTheKernelsCounters() throws Exception {
        List<String[]> rows = ss("listening", "sport", "= :" + fullPort);
        assertEquals(1, rows.size());
        String queue = rows.get(0)[0];
        String backlog = rows.get(0)[1];
        assertEquals("2", backlog);
        assertEquals("3", queue, "the kernel admits backlog + 1");
        assertTrue(facts(facts, "listener").contains("127.0.0.1:" + fullPort + " " + queue + " " + backlog + " True " + zooPid),
                facts.toString());
        assertTrue(facts.contains("finding critical accept-queue " + zooPid), facts.toString());
        long overflows = Long.parseLong(facts(facts, "listen_overflows").get(0));
        String netstat = ns.run("cat", "/proc/net/netstat");
        long fromKernel = counter(netstat, "ListenOverflows");
        assertTrue(overflows > 0 && overflows <= fromKernel, overflows + " vs " + fromKernel + " read after it");
    }

    private static long counter(String netstat, String name) {
        String[] lines = netstat.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith("TcpExt:")) {
                List<String> names = List.of(lines[i].trim().split("\\s+"));
                return Long.parseLong(lines[i + 1].trim().split("\\s+")[names.indexOf(name)]);
            }
        }
        throw new AssertionError("no TcpExt in " + netstat);
    }

    @Test
    void statesMatchSsAndPrometheusUsesOpenTelemetryNames() throws Exception {
        assertEquals(0, prometheus.exit(), prometheus.err());
        String p = prometheus.text();
        assertEquals(ss("established").size(), metric(p, "system_network_connection_count{network_connection_state=\"established\",network_transport=\"tcp\"}"));
        assertEquals(3, metric(p, "system_network_connection_count{network_connection_state=\"close_wait\",network_transport=\"tcp\"}"));
        // a process is its executable's name (python3, whatever argv[0] says), not its command line nor its pid
        assertEquals(3, metric(p, "teardown_process_connection_count{process_executable_name=\"python3\","
                + "network_connection_state=\"close_wait\",network_transport=\"tcp\"}"), p);
        assertFalse(p.contains("pwned") || p.contains("pid=\""), p);
        for (byte b : prometheus.out()) {
            assertTrue(b != 0x1b && b != 0x07, "a raw control byte reached the output");
        }
    }

    private static long metric(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Long.parseLong(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError(series + " not in\n" + text);
    }

    @Test
    void textViewEscapesTheHostileCommandLineAndSaysWhatToDo() throws Exception {
        assertEquals(0, text.exit(), text.err());
        for (byte b : text.out()) {
            assertTrue(b == '\n' || (b & 0xff) >= 0x20 && b != 0x7f, "control byte " + b + " in the text view");
        }
        String t = text.text();
        assertTrue(t.contains(" " + zooPid + " " + ARGV0_ESCAPED), t);
        assertTrue(t.contains("pid " + zooPid + " ("), t);
        assertTrue(t.contains("It must close them."), t);
        assertTrue(t.contains("FULL"), t);
    }

    @Test
    void thresholdsSetTheExitStatusAndWrongOptionsExit2WithUsage() throws Exception {
        assertEquals(1, doctor("--fail-if", "close-wait>2", "--fail-if", "time-wait>1000").exit());
        assertEquals(0, doctor("--fail-if", "close-wait>3", "--fail-if", "accept-queue<100").exit());
        // wrong options are refused before anything is read: checked in this JVM
        for (String[] wrong : List.of(new String[] {"doctor", "--fail-if", "close-wait>>2"},
                new String[] {"doctor", "--fail-if", "nonsense>1"}, new String[] {"doctor", "--watch", "soon"},
                new String[] {"doctor", "--bogus"}, new String[] {"doctor", "--json", "--prometheus"},
                new String[] {"doctor", "--count", "3"}, new String[] {"frobnicate"}, new String[] {})) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            assertEquals(2, Main.run(wrong, out, err), String.join(" ", wrong) + ": " + err);
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage:"), err.toString(StandardCharsets.UTF_8));
            assertEquals(0, out.size());
        }
    }

    @Test
    void watchRedrawsWithRatesAndATableInFluxNeverMakesItFail() throws Exception {
        Process churn = new ProcessBuilder(ns.in("python3", resources.resolve("churn.py").toString())).start();
        try {
            Thread.sleep(300);
            Run r = doctor("--watch", "200ms", "--count", "3");
            assertEquals(0, r.exit(), r.err());
            String t = r.text();
            assertEquals(3, t.split("(?m)^teardown doctor  ", -1).length - 1, t);
            assertTrue(t.contains("change per second"), t);
            checked(doctor("--json"));
        } finally {
            churn.destroyForcibly();
        }
    }

    @Test
    void withoutRootItSaysWhatItCannotSee() throws Exception {
        // a copy of the class path that user nobody can read
        Path dir = Files.createTempDirectory("doctor-cp");
        StringBuilder cp = new StringBuilder();
        int i = 0;
        for (Path p : classPath()) {
            Path to = copy(p, dir.resolve("cp" + i++));
            cp.append(cp.length() == 0 ? "" : ":").append(to);
        }
        Files.walk(dir).forEach(p -> p.toFile().setReadable(true, false));
        Files.walk(dir).filter(Files::isDirectory).forEach(p -> p.toFile().setExecutable(true, false));
        List<String> asNobody = new ArrayList<>(ns.in("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        Run r = doctor(asNobody, cp.toString(), "--json");
        List<String> seen = checked(r);
        // nobody cannot read python's descriptors: the CLOSE_WAIT sockets are there, their owner is not named
        List<String> groups = facts(seen, "close_wait");
        assertEquals(1, groups.size(), groups.toString());
        String[] g = groups.get(0).split(" ");
        assertEquals(List.of("-1", "CLOSE_WAIT", "3", "None"), List.of(g[0], g[1], g[2], g[5]), groups.get(0));
        assertTrue(seen.stream().anyMatch(f -> f.startsWith("limit ") && f.contains("could not be read (not root)")), seen.toString());
        assertTrue(seen.contains("finding warning close-wait-unowned -1"), seen.toString());
        Run text = doctor(asNobody, cp.toString());
        assertTrue(text.text().contains("(not root)"), text.text());
    }

    /** Copies a class path entry; returns what to put on the class path. */
    private static Path copy(Path from, Path to) throws IOException {
        if (Files.isDirectory(from)) {
            try (var s = Files.walk(from)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Path t = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(p, t);
                    }
                }
            }
            return to;
        }
        Files.createDirectories(to);
        Path jar = to.resolve(from.getFileName());
        Files.copy(from, jar);
        return jar;
    }
}
