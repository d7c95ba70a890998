package dev.teardown.agent;

import dev.teardown.agent.testing.PooledJvm;
import dev.teardown.agent.testing.Reader;
import dev.teardown.agent.testing.Ss;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real pooled HTTP clients (Apache HttpClient 4.5 and 5, OkHttp 4, the JDK's, Jetty 12's, Reactor Netty 1.3) in a
 * service whose {@code price()} consumes its responses and whose {@code stockLevel()} drops them, against a Python
 * keep-alive server that closes idle connections after two seconds (or on demand). Every connection is opened for
 * {@code price()} and given back to the pool; the leaked ones were then leased by {@code stockLevel()}. {@code ss} is
 * the independent observer of the CLOSE_WAIT, FIN_WAIT1 and unread ESTABLISHED sockets; the scenarios run in
 * parallel (each JVM has its own server).
 *
 * <p>Two faces of the leak: Apache's clients, OkHttp and Jetty leave a leaked connection in CLOSE_WAIT once the
 * server closes it (and Apache's and OkHttp's idle pooled connections too, which are {@code idle}); the JDK's client
 * (its 1 MiB body: the server's FIN waits behind data nobody reads) and Reactor Netty (which closes any connection
 * when the server does) leave it ESTABLISHED with the unread response. The JDK's client, Jetty and Reactor Netty close
 * an idle pooled connection themselves when the server closes it.
 */
@Execution(ExecutionMode.CONCURRENT)
class PooledClientsTest {
    private static final double IDLE = 2.0;
    private static final String PKG = "org.example.pooled.";

    @BeforeAll
    static void tools() {
        assumeTrue(Ss.available(), "PooledClientsTest skipped: needs ss (iproute2) as the independent observer");
        assumeTrue(python(), "PooledClientsTest skipped: needs python3 for the keep-alive server");
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "okhttp"})
    void theMethodThatLeasedAndDroppedTheResponseIsTheLeakSiteAndThePoolsIdleOneIsIdle(String client) throws Exception {
        String service = service(client);
        try (PooledJvm app = PooledJvm.start(client, IDLE, List.of(), "-javaagent:" + Reader.jar())) {
            app.run("price 3");
            app.run("stock 2");
            assertEquals(3, Ss.await(0, "close-wait", app.serverPort(), true, 3, 10), "ss: the client's CLOSE_WAIT");

            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            Map<String, Object> leaked = group(report, "leaked");
            assertNotNull(leaked, r.out());
            assertEquals(2L, Reports.count(leaked), r.out());
            assertTrue(leakFrame(leaked).startsWith(PKG + service + ".stockLevel("), r.out());
            assertTrue(((List<?>) leaked.get("site")).get(0).toString().startsWith(PKG + service + ".price("),
                    "opened by price(), leaked by stockLevel(): " + r.out());
            for (Map<String, Object> s : sockets(leaked)) {
                assertTrue((Long) s.get("recvQ") > 1, "a leaked response's unread bytes: " + s);
                assertEquals("leased", s.get("pool"));
                assertEquals("outbound", s.get("direction"));
            }
            Map<String, Object> idle = group(report, "idle");
            assertNotNull(idle, r.out());
            assertEquals(1L, Reports.count(idle), r.out());
            assertNull(idle.get("leakSite"));
            assertEquals(1L, sockets(idle).get(0).get("recvQ"), "only the FIN unread: " + r.out());
            assertEquals(2, Reports.groups(report).size(), r.out());
            assertEquals(Boolean.TRUE, leaked.get("applicationFrames"));

            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains("2 in CLOSE_WAIT, LEAKED") && text.out().contains("1 in CLOSE_WAIT, IDLE"),
                    text.out());
            assertTrue(text.out().contains("advice: " + service + ".stockLevel() (" + service + ".java:"), text.out());
            assertTrue(text.out().contains(client.equals("okhttp") ? "response.close()" : "EntityUtils.consume("),
                    text.out());
            assertTrue(text.out().contains(client.equals("okhttp") ? "ConnectionPool(" : "evictIdleConnections("),
                    text.out());
            assertTrue(text.out().matches("(?s).*fd \\d+ \\S+ -> \\S+:" + app.serverPort() + ",.*"), text.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "okhttp"})
    void overTlsTheSocketBeneathIsFoundAndTheCloseNotifyIsNoLeak(String client) throws Exception {
        assumeTrue(new ProcessBuilder("openssl", "version").start().waitFor() == 0, "needs openssl for a certificate");
        String service = service(client);
        try (PooledJvm app = PooledJvm.start(client, IDLE, List.of(), "-javaagent:" + Reader.jar(), "--", "https")) {
            app.run("price 3");
            app.run("stock 2");
            assertEquals(3, Ss.await(0, "close-wait", app.serverPort(), true, 3, 10), "ss: the client's CLOSE_WAIT");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            Map<String, Object> leaked = group(report, "leaked");
            assertNotNull(leaked, r.out());
            assertEquals(2L, Reports.count(leaked), r.out());
            assertTrue(leakFrame(leaked).startsWith(PKG + service + ".stockLevel("), r.out());
            Map<String, Object> idle = group(report, "idle");
            assertNotNull(idle, r.out());
            long unread = (Long) sockets(idle).get(0).get("recvQ");
            assertTrue(unread > 1 && unread <= 65, "the server's close_notify and FIN only: " + r.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "okhttp"})
    void aServiceWithCorrectCodeOnlyHasIdleConnectionsAndNoLeak(String client) throws Exception {
        try (PooledJvm app = PooledJvm.start(client, IDLE, List.of(), "-javaagent:" + Reader.jar())) {
            app.run("price 3");
            int expected = 3;
            Thread.sleep((long) (IDLE * 1000) + 300);
            assertEquals(expected, Ss.await(0, "close-wait", app.serverPort(), true, expected, 10), "ss: CLOSE_WAIT");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            assertNull(group(report, "leaked"), r.out());
            assertEquals((long) expected, Reports.count(group(report, "idle")), r.out());
            if (client.equals("apache4")) { // the text once: each reader run is a JVM start
                Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
                assertTrue(text.out().contains("3 in CLOSE_WAIT, IDLE") && !text.out().contains("LEAKED"), text.out());
                assertTrue(text.out().contains("advice: harmless and bounded"), text.out());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "jetty", "reactor"})
    void aClientThatClosesWhatTheServerClosedLeavesNothingAndItsPoolIsSeenTakingConnectionsBack(String client)
            throws Exception {
        // these clients watch their idle connections: the server's FIN closes them at once, nothing stays in CLOSE_WAIT;
        // what shows that their release is seen: the idle connections are in the pool, not leased, before that
        try (PooledJvm app = PooledJvm.start(client, 120, List.of(), "-javaagent:" + Reader.jar())) {
            app.run("price 3");
            Reader.Result open = Reader.report("--pid", String.valueOf(app.pid()), "--json", "--state", "established");
            assertEquals(0, open.status(), open.err());
            List<Map<String, Object>> pooled = Reports.groups(Reports.parse(open.out())).stream()
                    .flatMap(g -> sockets(g).stream())
                    .filter(x -> x.get("remote").toString().endsWith(":" + app.serverPort())).toList();
            assertEquals(3, pooled.size(), open.out());
            for (Map<String, Object> x : pooled) {
                assertEquals("in-pool", x.get("pool"), open.out());
                assertEquals(0L, x.get("recvQ"), open.out());
            }
            assertNull(group(Reports.parse(open.out()), "leaked"), open.out());
            app.run("close");
            // the server's FIN puts them in CLOSE_WAIT for as long as the client takes to see it and close
            assertEquals(0, Ss.await(0, "close-wait", app.serverPort(), true, 0, 10), "ss: the client closed them");
            assertEquals(0, Ss.count(0, "established", app.serverPort(), true), "ss: none left open");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            assertNull(group(report, "leaked"), r.out());
            assertEquals(0L, report.get("total"), r.out());
        }
    }

    @Test
    void theJdkClientsUnreadBodyIsListedAsEstablishedWithThePeerInFinWait1() throws Exception {
        try (PooledJvm app = PooledJvm.start("jdk", IDLE, List.of(), "-javaagent:" + Reader.jar())) {
            app.run("price 3");
            app.run("stock 1");
            // the server gives up sending after its idle timeout: its FIN waits behind the data nobody reads
            assertEquals(1, Ss.await(0, "fin-wait-1", app.serverPort(), false, 1, 10), "ss: the server's FIN_WAIT1");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            Map<String, Object> leaked = group(report, "leaked");
            assertNotNull(leaked, r.out());
            assertEquals("ESTABLISHED", leaked.get("state"));
            assertEquals(1L, Reports.count(leaked), r.out());
            Map<String, Object> socket = sockets(leaked).get(0);
            assertEquals("FIN_WAIT1", socket.get("peerState"), r.out());
            assertTrue((Long) socket.get("recvQ") > 0 && (Long) socket.get("peerSendQ") > 0, r.out());
            assertEquals("JDK HttpClient", leaked.get("client"), r.out());
            assertTrue(leakFrame(leaked).startsWith(PKG + "JdkService.stockLevel("), r.out());
            assertTrue(((List<?>) leaked.get("site")).get(0).toString().startsWith(PKG + "JdkService.price("),
                    "opened by price(), leaked by stockLevel(): " + r.out());
            assertEquals("leased", socket.get("pool"), r.out());
            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains("1 in ESTABLISHED, LEAKED") && text.out().contains("peer in FIN_WAIT1"),
                    text.out());
            assertTrue(text.out().contains("and 1 ESTABLISHED whose received data nobody has read"), text.out());
        }
    }

    @Test
    void aLeaseOverTheStackBudgetNamesNoOneRatherThanTheOpener() throws Exception {
        try (PooledJvm app = PooledJvm.start("apache4", IDLE, List.of(), "-javaagent:" + Reader.jar() + "=stacks=0")) {
            app.run("price 3");
            app.run("stock 2");
            assertEquals(3, Ss.await(0, "close-wait", app.serverPort(), true, 3, 10), "ss: the client's CLOSE_WAIT");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> leaked = group(Reports.parse(r.out()), "leaked");
            assertNotNull(leaked, r.out());
            assertEquals(2L, Reports.count(leaked), r.out());
            assertEquals(Boolean.FALSE, leaked.get("lastUseStackTaken"), r.out());
            assertEquals(List.of(), leaked.get("leakSite"), "the opener is not named as the leaker: " + r.out());
            assertEquals(1L, Reports.count(group(Reports.parse(r.out()), "idle")), r.out());
        }
    }

    @Test
    void packagesNamedAsLibraryCodeAreNotTheApplicationsFrames() throws Exception {
        // the service's class counted as a library (as a jar of the application's own would be, without app=)
        try (PooledJvm app = PooledJvm.start("apache4", IDLE, List.of(),
                "-javaagent:" + Reader.jar() + "=lib=org.example.pooled.Apache4Service")) {
            app.run("price 3");
            app.run("stock 2");
            assertEquals(3, Ss.await(0, "close-wait", app.serverPort(), true, 3, 10), "ss: the client's CLOSE_WAIT");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            Map<String, Object> leaked = group(Reports.parse(r.out()), "leaked");
            assertNotNull(leaked, r.out());
            assertTrue(leakFrame(leaked).startsWith(PKG + "PooledApp.main("), r.out());
            assertTrue(leaked.get("leakCall").toString().startsWith(PKG + "Apache4Service.stockLevel("), r.out());
        }
    }

    @ParameterizedTest
    @CsvSource({"jetty, http", "reactor, http", "jetty, https", "reactor, https"})
    void anAsynchronousClientsLeakIsNamedAtTheRequestThatTookTheConnection(String client, String scheme)
            throws Exception {
        // the pool lends these clients' connections on their own threads (a new connection's, a released one's): the
        // leak site is the stack of the request, taken on the application's thread and carried to the lease; over
        // TLS the descriptor is found beneath Jetty's SslConnection and Reactor Netty's SslHandler
        boolean https = scheme.equals("https");
        assumeTrue(!https || new ProcessBuilder("openssl", "version").start().waitFor() == 0, "needs openssl");
        String service = service(client);
        boolean established = leaksEstablished(client);
        try (PooledJvm app = PooledJvm.start(client, established ? 120 : IDLE, List.of(), "-javaagent:" + Reader.jar(),
                "--", scheme)) {
            // first a leak on a new connection: the pool lends it on the client's thread, once connected
            app.run("stock 1");
            app.run("price 3"); // three more connections, given back
            app.run("stock 2"); // two of them leased again, and leaked
            assertEquals(3, awaitLeaked(0, client, app.serverPort(), 3, 0), "ss: the three leaked connections");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            // the connections' opening sites may differ (the first was opened for stockLevel(), on whichever thread
            // the client connects): every group is leaked, by stockLevel(), and the idle one was closed by the client
            long count = 0;
            for (Map<String, Object> leaked : Reports.groups(report)) {
                assertEquals("leaked", leaked.get("classification"), r.out());
                assertEquals(established ? "ESTABLISHED" : "CLOSE_WAIT", leaked.get("state"), r.out());
                assertEquals(client.equals("jetty") ? "Jetty HttpClient" : "Reactor Netty", leaked.get("client"),
                        r.out());
                assertTrue(leakFrame(leaked).startsWith(PKG + service + ".stockLevel("), r.out());
                assertEquals(Boolean.TRUE, leaked.get("lastUseStackTaken"), r.out());
                assertEquals(Boolean.TRUE, leaked.get("applicationFrames"), r.out());
                assertTrue(!leakFrame(leaked).contains(".price("), r.out());
                for (Map<String, Object> x : sockets(leaked)) {
                    assertTrue((Long) x.get("recvQ") > 1, "a leaked response's unread bytes: " + x);
                    assertEquals("leased", x.get("pool"), r.out());
                    assertEquals("outbound", x.get("direction"), r.out());
                }
                count += Reports.count(leaked);
            }
            assertEquals(3L, count, r.out());

            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains(" in " + (established ? "ESTABLISHED" : "CLOSE_WAIT") + ", LEAKED"),
                    text.out());
            assertTrue(!text.out().contains("IDLE"), text.out());
            assertTrue(text.out().contains("advice: " + service + ".stockLevel() (" + service + ".java:"), text.out());
            assertTrue(text.out().contains(client.equals("jetty") ? "InputStreamResponseListener" : "receive()"),
                    text.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "okhttp", "jdk", "jetty", "reactor"})
    void attachedAfterTheLeakBeganTheLaterLeaseIsNamed(String client) throws Exception {
        // no idle timeout while the agent is attached (which can take seconds on a busy machine): the pooled
        // connections must still be open when leased; the server closes them on demand afterwards
        try (PooledJvm app = PooledJvm.start(client, 120, List.of())) {
            app.run("price 3");
            app.run("stock 1"); // before the agent: a leak without a site
            Reader.Result attached = Reader.report("--pid", String.valueOf(app.pid()), "--attach");
            assertEquals(0, attached.status(), attached.err());
            app.run("stock 1"); // a connection price() opened before the agent, leased after it came
            serverCloses(app, client);
            int idle = closesIdle(client) ? 0 : 1;
            assertEquals(2, awaitLeaked(0, client, app.serverPort(), 2, idle), "ss: the client's leaked sockets");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            Map<String, Object> named = Reports.groups(report).stream()
                    .filter(g -> g.get("leakSite") != null).findFirst().orElse(null);
            assertNotNull(named, r.out());
            assertEquals("leaked", named.get("classification"));
            assertEquals(1L, Reports.count(named), r.out());
            assertTrue(leakFrame(named).startsWith(PKG + service(client) + ".stockLevel("), r.out());
            assertNull(named.get("site"), "opened before the agent: " + r.out());
            assertEquals(2L + idle, report.get("total"), r.out());
            assertTrue(r.out().indexOf("price(") < 0, "price() is named nowhere: " + r.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "okhttp", "jdk", "jetty", "reactor"})
    void aTargetInAnotherNetworkMountAndPidNamespaceIsAttachedToAndReadFromOutside(String client, @TempDir Path dir)
            throws Exception {
        assumeTrue(new ProcessBuilder("unshare", "-n", "true").start().waitFor() == 0,
                "namespace test skipped: unshare -n needs root (CI runs as root)");
        // network, mount (a /tmp of its own) and PID namespaces, as a container has
        List<String> netns = List.of("unshare", "-n", "-m", "-p", "-f", "--mount-proc", "sh", "-c",
                // a /tmp of its own; a checkout under /tmp (its classes on the app's class path) is bound back into it
                "ip link set lo up && here=$(pwd) && keep=/run/teardown-test-keep && mkdir -p \"$keep\" && mount --bind /tmp \"$keep\""
                        + " && mount -t tmpfs tmpfs /tmp && case \"$here\" in /tmp/*) first=$(echo \"${here#/tmp/}\" | cut -d/ -f1)"
                        + " && mkdir -p \"/tmp/$first\" && mount --bind \"$keep/$first\" \"/tmp/$first\";; esac && exec \"$@\"", "sh");
        // no idle timeout while the agent is attached from outside (seconds on a busy machine); closed on demand
        try (PooledJvm app = PooledJvm.start(client, 120, netns)) {
            // run from a copy in this /tmp, which the target does not see: the reader must give it one it can open
            String jar = Files.copy(Path.of(Reader.jar()), dir.resolve("teardown-agent.jar")).toString();
            Reader.Result attached = Reader.reportWith(jar, "--pid", String.valueOf(app.pid()), "--attach");
            assertEquals(0, attached.status(), attached.out() + attached.err());
            assertTrue(attached.out().contains("agent: attached"), attached.out());
            assertTrue(attached.out().startsWith("pid " + app.pid() + " [1 in its own PID namespace] ("), attached.out());
            app.run("price 2");
            app.run("stock 1");
            serverCloses(app, client);
            int idle = closesIdle(client) ? 0 : 1;
            assertEquals(1, awaitLeaked(app.pid(), client, app.serverPort(), 1, idle), "ss in its namespace");
            assertEquals(0, awaitLeaked(0, client, app.serverPort(), 0, 0), "none of it in this namespace");
            try (Stream<Path> tmp = Files.list(Path.of("/proc", String.valueOf(app.pid()), "root", "tmp"))) {
                assertTrue(tmp.anyMatch(p -> p.getFileName().toString().matches("teardown-agent-[0-9a-f]{32}\\.jar")),
                        "the agent jar was put where the target can open it");
            }
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.out() + r.err());
            Map<String, Object> report = Reports.parse(r.out());
            assertEquals(app.pid(), report.get("pid"), "the pid asked for: " + r.out());
            assertEquals(1L, report.get("pidInNamespace"), "and its own: " + r.out());
            assertEquals(1L, Reports.count(group(report, "leaked")), r.out());
            assertTrue(leakFrame(group(report, "leaked")).startsWith(PKG + service(client) + ".stockLevel("), r.out());
            assertEquals((long) idle, Reports.count(group(report, "idle")), r.out());
        }
    }

    /**
     * True for the clients whose leaked connection stays ESTABLISHED with the unread response: the JDK's (the server's
     * FIN waits behind the 1 MiB body it cannot send) and Reactor Netty (which closes a connection when the server
     * does, leaked or not, so that a leak lasts as long as the server keeps the connection).
     */
    private static boolean leaksEstablished(String client) {
        return client.equals("jdk") || client.equals("reactor");
    }

    /** True for the clients that close an idle pooled connection as soon as the server closes it. */
    private static boolean closesIdle(String client) {
        return client.equals("jdk") || client.equals("jetty") || client.equals("reactor");
    }

    /**
     * Has the server close every connection, as its idle timeout would; not for Reactor Netty, whose leaked
     * connections would then be closed too (its leak is the ESTABLISHED connection while the server keeps it).
     */
    private static void serverCloses(PooledJvm app, String client) throws IOException {
        if (!client.equals("reactor")) {
            app.run("close");
        }
    }

    /**
     * Waits for {@code ss} (in the network namespace of {@code pid}, or this one) to list {@code leaked} leaked
     * connections of the client, and {@code idle} idle ones in CLOSE_WAIT: in CLOSE_WAIT, or ESTABLISHED with bytes
     * unread (see {@link #leaksEstablished}); returns the last count of the leaked ones.
     */
    private static int awaitLeaked(long pid, String client, int port, int leaked, int idle) throws Exception {
        if (!leaksEstablished(client)) {
            return Ss.await(pid, "close-wait", port, true, leaked + idle, 10) - idle;
        }
        int n = Ss.await(pid, "established", port, true, 1, leaked, 10);
        // and the idle ones the server closed are gone: the client closes them as soon as it sees the FIN
        assertEquals(idle, Ss.await(pid, "close-wait", port, true, idle, 10), "ss: CLOSE_WAIT");
        return n;
    }

    private static String service(String client) {
        return switch (client) {
            case "apache4" -> "Apache4Service";
            case "apache5" -> "Apache5Service";
            case "okhttp" -> "OkHttpService";
            case "jetty" -> "JettyService";
            case "reactor" -> "ReactorNettyService";
            default -> "JdkService";
        };
    }

    private static Map<String, Object> group(Map<String, Object> report, String classification) {
        return Reports.groups(report).stream().filter(g -> classification.equals(g.get("classification")))
                .findFirst().orElse(null);
    }

    private static String leakFrame(Map<String, Object> group) {
        List<?> site = (List<?>) group.get("leakSite");
        return site == null || site.isEmpty() ? "" : site.get(0).toString();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> sockets(Map<String, Object> group) {
        return (List<Map<String, Object>>) group.get("sockets");
    }

    private static boolean python() {
        try {
            return new ProcessBuilder("python3", "-c", "import http.server").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
