package dev.teardown.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code doctor --netns} on a host with containers, played by two private network namespaces ({@code ip netns add
 * td20-...}): in one, a python3 process with a 2,500-character command line (renamed {@code back\sl"ash} so that label
 * escaping shows) holds 4 CLOSE_WAIT sockets whose other ends are orphaned FIN_WAIT2; in the other, a JVM holds 3
 * CLOSE_WAIT. Each process is also put in a cgroup named as Kubernetes (pod UID and container ID) and Docker name
 * theirs. Every count is checked against {@code ss} run inside each namespace; the JSON is read by python's parser.
 */
class NetnsDoctorTest {
    static final String COMM = "back\\sl\"ash";
    static final Path PIDS_CGROUP = Paths.get("/sys/fs/cgroup/pids");
    static String a;
    static String b;
    static Process python;
    static Process jvm;
    static long pythonNs;
    static long jvmNs;
    static String podUid = UUID.randomUUID().toString();
    static String podContainer = hex64();
    static String dockerContainer = hex64();
    static List<Path> cgroups = new ArrayList<>();
    static boolean named;
    static Path resources;
    static String cp;

    static String hex64() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            b.append(Character.forDigit(ThreadLocalRandom.current().nextInt(16), 16));
        }
        return b.toString();
    }

    @BeforeAll
    static void twoContainers() throws Exception {
        Needs.rootAndTools("ip", "ss", "python3", "promtool", "curl");
        resources = Files.createTempDirectory("netns-test");
        for (String f : List.of("holder.py", "check_netns.py", "parse_metrics.py")) {
            try (var in = NetnsDoctorTest.class.getResourceAsStream("/" + f)) {
                Files.write(resources.resolve(f), in.readAllBytes());
            }
        }
        String tag = "td20-" + ProcessHandle.current().pid();
        a = tag + "-a";
        b = tag + "-b";
        for (String ns : List.of(a, b)) {
            sh("ip", "netns", "add", ns);
            sh("ip", "-n", ns, "link", "set", "lo", "up");
            // the orphaned FIN_WAIT2 ends must outlive a slow run (60 s by default; this gives them 18 minutes)
            sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.tcp_fin_timeout=600");
        }
        String interpreter = sh("python3", "-c", "import sys; print(sys.executable)").trim();
        python = new ProcessBuilder("ip", "netns", "exec", a, interpreter, resources.resolve("holder.py").toString(), "4", COMM,
                "x".repeat(2500)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String ready = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(ready != null && ready.startsWith("ready"), "holder.py: " + ready);
        jvm = new ProcessBuilder("ip", "netns", "exec", b, Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", Paths.get("target", "test-classes").toString(), LeakyAcceptor.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String port = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(port != null && port.startsWith("port "), "LeakyAcceptor: " + port);
        sh("ip", "netns", "exec", b, "python3", "-c", "import socket\nfor _ in range(3): socket.create_connection(('127.0.0.1', "
                + port.substring(5) + ")).close()");
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); ssCount(b, "close-wait") < 3; ) {
            assertTrue(System.nanoTime() < end, "the JVM's sockets never reached CLOSE_WAIT");
            Thread.sleep(50);
        }
        pythonNs = Netns.inodeOf("/proc/" + python.pid() + "/ns/net");
        jvmNs = Netns.inodeOf("/proc/" + jvm.pid() + "/ns/net");
        assertTrue(pythonNs > 0 && jvmNs > 0 && pythonNs != jvmNs);
        // cgroups as a kubelet (cgroupfs driver) and dockerd name theirs, on the pids controller where it is writable
        if (Files.isWritable(PIDS_CGROUP)) {
            join(PIDS_CGROUP.resolve("kubepods/besteffort/pod" + podUid + "/" + podContainer), python.pid());
            join(PIDS_CGROUP.resolve("docker/" + dockerContainer), jvm.pid());
            named = true;
        }
        StringBuilder c = new StringBuilder();
        for (Path p : DoctorTest.classPath()) {
            c.append(c.length() == 0 ? "" : ":").append(p);
        }
        cp = c.toString();
    }

    private static void join(Path cgroup, long pid) throws Exception {
        Files.createDirectories(cgroup);
        for (Path p = cgroup; !p.equals(PIDS_CGROUP); p = p.getParent()) {
            if (!cgroups.contains(p)) {
                cgroups.add(p);
            }
        }
        Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(pid));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Process p : new Process[] {python, jvm}) {
            if (p != null) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (String ns : new String[] {a, b}) {
            if (ns != null) {
                new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
            }
        }
        // deepest first; a cgroup is removable once its processes are gone
        cgroups.sort((x, y) -> y.getNameCount() - x.getNameCount());
        for (Path p : cgroups) {
            for (int i = 0; i < 50 && Files.exists(p); i++) {
                try {
                    Files.delete(p);
                } catch (java.io.IOException e) {
                    Thread.sleep(20);
                }
            }
        }
    }

    static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + " failed");
        return out;
    }

    /** Sockets in {@code state} as ss counts them inside namespace {@code ns}. */
    static int ssCount(String ns, String state) throws Exception {
        int n = 0;
        for (String line : sh("ip", "netns", "exec", ns, "ss", "-tanH", "state", state).split("\n")) {
            n += line.isBlank() ? 0 : 1;
        }
        return n;
    }

    /** ss's state counts inside {@code ns}, under the doctor's state names. */
    static Map<String, Integer> ssStates(String ns) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (String line : sh("ip", "netns", "exec", ns, "ss", "-tanH").split("\n")) {
            if (!line.isBlank()) {
                String s = line.trim().split("\\s+")[0];
                String name = switch (s) {
                    case "ESTAB" -> "ESTABLISHED";
                    case "LISTEN" -> "LISTEN";
                    case "CLOSE-WAIT" -> "CLOSE_WAIT";
                    case "FIN-WAIT-2" -> "FIN_WAIT2";
                    case "FIN-WAIT-1" -> "FIN_WAIT1";
                    case "TIME-WAIT" -> "TIME_WAIT";
                    case "SYN-RECV" -> "SYN_RECV";
                    case "SYN-SENT" -> "SYN_SENT";
                    case "LAST-ACK" -> "LAST_ACK";
                    default -> s;
                };
                out.merge(name, 1, Integer::sum);
            }
        }
        return out;
    }

    static DoctorTest.Run doctor(String... args) throws Exception {
        return DoctorTest.doctor(List.of(), cp, args);
    }

    static List<String> facts(DoctorTest.Run r) throws Exception {
        return DoctorTest.checked(r, resources.resolve("check_netns.py"));
    }

    @Test
    void allNamespacesInJsonNameEachHolderAndCountAsSsInsideEach() throws Exception {
        List<String> f = facts(doctor("--netns", "all", "--json"));
        for (Object[] ns : new Object[][] {{a, pythonNs}, {b, jvmNs}}) {
            Map<String, Integer> ss = ssStates((String) ns[0]);
            for (Map.Entry<String, Integer> e : ss.entrySet()) {
                assertTrue(f.contains("state " + ns[1] + " " + e.getKey() + " " + e.getValue()),
                        ns[0] + ": ss counts " + e.getValue() + " " + e.getKey() + "; the doctor said " + f);
            }
            assertTrue(f.stream().anyMatch(x -> x.startsWith("ns " + ns[1] + " sockets "
                    + ss.values().stream().mapToInt(Integer::intValue).sum() + " name ")), f.toString());
        }
        // the python holder: its 4 CLOSE_WAIT joined to their 4 orphaned ends, its whole long command line kept
        assertTrue(f.stream().anyMatch(x -> x.matches("close_wait " + pythonNs + " " + python.pid() + " 4 4 False None "
                + java.util.regex.Pattern.quote(COMM) + " (\\d+)") && Integer.parseInt(x.substring(x.lastIndexOf(' ') + 1)) > 2500), f.toString());
        // the JVM: the next step is the agent's report for it
        assertTrue(f.stream().anyMatch(x -> x.startsWith("close_wait " + jvmNs + " " + jvm.pid() + " 3 3 True teardown doctor --pid "
                + jvm.pid() + " --attach java ")), f.toString());
        assertTrue(f.contains("pids " + pythonNs + " " + python.pid()), f.toString());
    }

    @Test
    void namespacesAreNamedByTheirContainersCgroupElseByIpNetnsName() throws Exception {
        List<String> f = facts(doctor("--netns", "all", "--json"));
        Needs.require(named, "a writable cgroup v1 pids hierarchy at " + PIDS_CGROUP + " (to give the holders container cgroups)");
        assertTrue(f.stream().anyMatch(x -> x.startsWith("ns " + pythonNs + " sockets ")
                && x.endsWith(" name pod " + podUid + " container " + podContainer.substring(0, 12))), f.toString());
        assertTrue(f.contains("container " + pythonNs + " kubernetes " + podContainer + " " + podUid), f.toString());
        assertTrue(f.contains("container " + jvmNs + " docker " + dockerContainer + " None"), f.toString());
        assertTrue(f.stream().anyMatch(x -> x.startsWith("ns " + jvmNs + " ") && x.endsWith(" name docker " + dockerContainer.substring(0, 12))),
                f.toString());
    }

    @Test
    void allNamespacesAsTextGroupByContainerWithNextStepsAndOnePidsNamespaceAlone() throws Exception {
        DoctorTest.Run r = doctor("--netns", "all");
        assertEquals(0, r.exit(), r.err());
        String t = r.text();
        String pyName = named ? "pod " + podUid + " container " + podContainer.substring(0, 12) : "ip netns " + a;
        String jvmName = named ? "docker " + dockerContainer.substring(0, 12) : "ip netns " + b;
        assertTrue(t.contains("==== " + pyName + " ====") && t.contains("==== " + jvmName + " ===="), t);
        assertTrue(t.contains("NAMESPACE " + pyName + "  (net:[" + pythonNs + "]; pids " + python.pid()), t);
        assertTrue(t.contains("`teardown doctor --pid " + jvm.pid() + " --attach`"), t);
        assertTrue(t.contains("4 of them are the other end of pid " + python.pid() + "'s 4 CLOSE_WAIT"), t);
        assertTrue(t.contains("back\\\\sl\"ash"), "the text view escapes the backslash of the name: " + t);

        // --watch and --prometheus carry the same grouping
        DoctorTest.Run watch = doctor("--netns", Long.toString(python.pid()), "--watch", "300ms", "--count", "2");
        assertEquals(0, watch.exit(), watch.err());
        assertEquals(2, watch.text().split("(?m)^==== " + java.util.regex.Pattern.quote(pyName) + " ====$", -1).length - 1, watch.text());
        assertTrue(watch.text().contains("change per second"), watch.text());
        DoctorTest.Run prom = doctor("--netns", Long.toString(python.pid()), "--prometheus");
        assertTrue(prom.text().contains("system_network_connection_count{netns=\"" + pyName + "\",network_connection_state=\"close_wait\""
                + ",network_transport=\"tcp\"} 4"), prom.text());

        DoctorTest.Run one = doctor("--netns", Long.toString(jvm.pid()));
        assertEquals(0, one.exit(), one.err());
        assertTrue(one.text().contains("1 network namespace, " + ssStates(b).values().stream().mapToInt(Integer::intValue).sum()
                + " TCP sockets") && one.text().contains("==== " + jvmName + " ====") && !one.text().contains(pyName), one.text());
    }

    @Test
    void withoutNetnsTheHostReportSaysWhatTheOtherNamespacesHold() throws Exception {
        DoctorTest.Run r = doctor();
        assertEquals(0, r.exit(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("OTHER NAMESPACES: (\\d+) more network namespaces? holds?"
                + " (\\d+) TCP sockets, (\\d+) of them in CLOSE_WAIT \\(in (\\d+) namespaces?\\)").matcher(r.text());
        assertTrue(m.find(), r.text());
        // other engineers' namespaces may come and go on this machine: at least ours
        assertTrue(Integer.parseInt(m.group(1)) >= 2 && Integer.parseInt(m.group(3)) >= 7 && Integer.parseInt(m.group(4)) >= 2,
                m.group());
    }

    @Test
    void badNamespacesAreRefusedOrSkippedNeverFatal() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"doctor", "--netns", "999999999"}, out, err));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("'999999999' is neither a process id nor a network namespace"),
                err.toString(StandardCharsets.UTF_8));
        // a namespace whose processes exited between discovery and reading: skipped and counted, the others read
        Netns gone = new Netns(1, "/proc/999999999/ns/net", List.of(999999998L), null);
        Host.Reading r = Host.read(List.of(gone, Netns.of(Long.toString(python.pid()))), false, null);
        assertEquals(1, r.sections().size());
        assertEquals(List.of(1, 1), List.of(r.skipped().size(), r.vanished()), r.skipped().toString());
        assertTrue(r.skipped().get(0).contains("gone"), r.skipped().toString());
        assertEquals(4, r.sections().get(0).census().count(dev.teardown.TcpState.CLOSE_WAIT));
    }

    @Test
    void theExporterServesBoundedLabelsThatPrometheusParsersReadBack() throws Exception {
        Process serve = new ProcessBuilder(DoctorTest.javaCommand(cp, "--netns", "all", "--serve", "127.0.0.1:0",
                "--min-interval", "1s")).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(line != null && line.startsWith("teardown doctor: serving http://127.0.0.1:"), line);
            String url = line.substring(line.indexOf("http://"), line.indexOf("/metrics") + 8);
            // a real client, both formats
            String text = sh("curl", "-sf", url);
            String om = sh("curl", "-sf", "-H", "Accept: application/openmetrics-text; version=1.0.0", url);
            assertTrue(om.endsWith("# EOF\n") && !text.contains("# EOF"), om);
            check(text, "text");
            check(om, "openmetrics");
            // promtool's own linter reads it too
            Process lint = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
            lint.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            lint.getOutputStream().close();
            String said = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = lint.waitFor();
            // exit 3 is lint advice, not a parse error: the only advice allowed is on the OpenTelemetry-style *_count names
            assertTrue(status == 0 || status == 3, status + ": " + said);
            for (String advice : said.strip().split("\n")) {
                assertTrue(advice.matches("\\w+_count non-histogram and non-summary metrics should not have \"_count\" suffix"),
                        advice);
            }

            // concurrent scrapes share one reading; the floor keeps it for a second
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            Thread.sleep(1100);
            List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()));
            }
            String first = null;
            for (var f : all) {
                java.net.http.HttpResponse<String> resp = f.get(60, TimeUnit.SECONDS);
                assertEquals(200, resp.statusCode());
                assertTrue(resp.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
                String d = durationLine(resp.body());
                assertTrue(first == null || first.equals(d), "one reading for concurrent scrapes: " + first + " vs " + d);
                first = d;
            }

            // a second exporter on the same port says so and exits 2
            int port = Integer.parseInt(url.replaceAll(".*:(\\d+)/metrics", "$1"));
            DoctorTest.Run busy = doctor("--serve", "127.0.0.1:" + port);
            assertEquals(2, busy.exit(), busy.err());
            assertTrue(busy.err().contains("cannot listen on 127.0.0.1:" + port), busy.err());
        } finally {
            serve.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String durationLine(String body) {
        for (String l : body.split("\n")) {
            if (l.startsWith("teardown_read_duration_seconds ")) {
                return l;
            }
        }
        throw new AssertionError("no teardown_read_duration_seconds in " + body);
    }

    /** Parsed by the Prometheus client library: counts as ss counts them, bounded labels, escaping that round-trips. */
    private static void check(String exposition, String format) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", resources.resolve("parse_metrics.py").toString(), format).start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), format + ": " + err + "\n" + exposition);
        String pyName = named ? "pod " + podUid + " container " + podContainer.substring(0, 12) : "ip netns " + a;
        String jvmName = named ? "docker " + dockerContainer.substring(0, 12) : "ip netns " + b;
        boolean pythonSeen = false;
        int closeWaitPy = -1;
        int closeWaitJvm = -1;
        for (String line : out.split("\n")) {
            String[] f = line.split(" ");
            String name = f[0];
            double v = Double.parseDouble(f[1]);
            Map<String, String> labels = new HashMap<>();
            for (int i = 2; i < f.length; i++) {
                String k = f[i].substring(0, f[i].indexOf('='));
                String hex = f[i].substring(k.length() + 1);
                byte[] raw = new byte[hex.length() / 2];
                for (int j = 0; j < raw.length; j++) {
                    raw[j] = (byte) Integer.parseInt(hex.substring(2 * j, 2 * j + 2), 16);
                }
                labels.put(k, new String(raw, StandardCharsets.UTF_8));
            }
            for (Map.Entry<String, String> l : labels.entrySet()) {
                assertTrue(l.getValue().codePointCount(0, l.getValue().length()) <= PrometheusReport.MAX_LABEL, l.toString());
                assertFalse(l.getKey().equals("command") || l.getKey().equals("process_pid") || l.getKey().equals("pid"), l.toString());
            }
            if (name.equals("system_network_connection_count") && "close_wait".equals(labels.get("network_connection_state"))) {
                if (pyName.equals(labels.get("netns"))) {
                    closeWaitPy = (int) v;
                } else if (jvmName.equals(labels.get("netns"))) {
                    closeWaitJvm = (int) v;
                }
            }
            if (name.equals("teardown_process_connection_count") && COMM.equals(labels.get("process_executable_name"))
                    && "close_wait".equals(labels.get("network_connection_state")) && pyName.equals(labels.get("netns"))) {
                assertEquals(4, (int) v);
                pythonSeen = true;
            }
        }
        assertEquals(ssCount(a, "close-wait"), closeWaitPy, format);
        assertEquals(ssCount(b, "close-wait"), closeWaitJvm, format);
        assertTrue(pythonSeen, format + ": no series with process_executable_name read back as " + COMM + "\n" + out);
    }
}
