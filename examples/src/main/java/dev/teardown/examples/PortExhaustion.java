package dev.teardown.examples;

import dev.teardown.AddressNotAvailableException;
import dev.teardown.CloseMode;
import dev.teardown.SocketClosedException;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * In a private namespace with a 200-port range and tcp_tw_reuse=0, closing first on the client side fills the
 * range with TIME_WAIT and connect() fails with EADDRNOTAVAIL; server-first close, ABORT and tcp_tw_reuse each
 * avoid it. The client waits for the server to take each connection (a one-byte greeting, or the server's FIN)
 * before it closes and connects again: a client that outran the accept loop would overflow the listen queue and
 * stall a second on each dropped SYN (nstat counts ListenOverflows and TCPSynRetrans, both checked to stay 0).
 */
final class PortExhaustion implements Scenario {
    static final String RANGE = "40000 40199";
    static final long RUN_NANOS = 1_500_000_000L;
    private static final byte[] GREETING = {'!'};
    /** A client port outside the range, bound explicitly. */
    static final int OWN_PORT = 40500;

    @Override
    public String name() {
        return "port-exhaustion";
    }

    @Override
    public String summary() {
        return "client-first churn exhausts a small port range (EADDRNOTAVAIL); server-first, ABORT and tcp_tw_reuse avoid it";
    }

    @Override
    public String unavailableReason() {
        return Netns.unavailableReason();
    }

    enum Strategy { CLIENT_FIRST, SERVER_FIRST, ABORT, CLIENT_FIRST_TW_REUSE }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        String why = Netns.unavailableReason();
        Verdict v = new Verdict();
        if (why != null) {
            outer.say("cannot run: " + why);
            return v.check(false, "a private network namespace (run as root)", why);
        }
        Map<Strategy, String> results = new LinkedHashMap<>();
        for (Strategy s : Strategy.values()) {
            Map<String, String> sysctls = new LinkedHashMap<>();
            sysctls.put("net.ipv4.ip_local_port_range", RANGE);
            sysctls.put("net.ipv4.tcp_tw_reuse", s == Strategy.CLIENT_FIRST_TW_REUSE ? "1" : "0");
            if (s == Strategy.CLIENT_FIRST_TW_REUSE && java.nio.file.Files.exists(java.nio.file.Paths.get("/proc/sys/net/ipv4/tcp_tw_reuse_delay"))) {
                sysctls.put("net.ipv4.tcp_tw_reuse_delay", "1");
            }
            outer.say("--- " + s + " in a fresh namespace: ip_local_port_range=" + RANGE + ", tcp_tw_reuse=" + sysctls.get("net.ipv4.tcp_tw_reuse"));
            String r = Netns.run(sysctls, () -> churn(outer, s, v));
            results.put(s, r);
        }
        outer.say("summary:");
        results.forEach((s, r) -> outer.say(String.format("  %-22s %s", s, r)));
        return v;
    }

    private static String churn(Timeline t, Strategy s, Verdict v) throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Thread server = new Thread(() -> serve(l, s), "server");
            server.setDaemon(true);
            server.start();
            int ok = 0;
            Nstat before = Nstat.read();
            AddressNotAvailableException exhausted = null;
            long start = System.nanoTime();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (System.nanoTime() - start < RUN_NANOS) {
                TcpSocket c;
                try {
                    c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(2));
                } catch (AddressNotAvailableException e) {
                    exhausted = e;
                    break;
                }
                // SERVER_FIRST: the server's FIN (EOF); otherwise its greeting. Either way it has accepted.
                c.read(one.clear(), Duration.ofSeconds(2));
                c.close(s == Strategy.ABORT ? CloseMode.ABORT : CloseMode.RELEASE);
                ok++;
            }
            double secs = (System.nanoTime() - start) / 1e9;
            Nstat after = Nstat.read();
            long overflows = after.since(before, "TcpExtListenOverflows");
            long synRetrans = after.since(before, "TcpExtTCPSynRetrans");
            int tw = Ss.count("time-wait", l.localAddress().getPort());
            String r = String.format("%d connections in %.2f s (%.0f/s), TIME-WAIT now %d, %s, %d SYN resent", ok, secs, ok / secs, tw,
                    exhausted == null ? "no EADDRNOTAVAIL" : "EADDRNOTAVAIL", synRetrans);
            t.say(s + ": " + r);
            if (exhausted != null) {
                t.say("  connect failed: " + exhausted.getMessage());
            }
            if (s == Strategy.CLIENT_FIRST) {
                // About one connection per port: the kernel may squeeze in a few more (a port whose TIME_WAIT it
                // could reuse for a different 4-tuple), never thousands.
                v.check(exhausted != null && ok <= 250, "client-first churn ran out of ports (EADDRNOTAVAIL) after about 200 connections",
                        ok + " connections, " + (exhausted == null ? "no error" : exhausted.errnoName()));
                v.check(exhausted != null && exhausted.getMessage().contains("ip_local_port_range"),
                        "the exception says why (names the port range and TIME_WAIT)", exhausted == null ? "-" : exhausted.getMessage());
                if (exhausted != null) {
                    bindToTimeWaitPort(t, v, l.localAddress());
                }
            } else {
                v.check(exhausted == null && ok > 200, s + " sustained more connections than the range has ports, without EADDRNOTAVAIL",
                        ok + " connections");
            }
            v.check(overflows == 0 && synRetrans == 0, s + ": nstat: no SYN dropped or resent (the client never outran the accept loop)",
                    "ListenOverflows +" + overflows + ", TCPSynRetrans +" + synRetrans);
            l.close();
            server.join(2000);
            return r;
        }
    }

    /**
     * tcp_tw_reuse=0 governs only the ports connect() picks. A port bound with SO_REUSEADDR, closed first (so in
     * TIME_WAIT), is bound and connected to the same server again at once; a port connect() picked, now in
     * TIME_WAIT, cannot be bound even with SO_REUSEADDR (the TIME_WAIT socket lacks it). JDK Sockets: teardown's
     * TcpSocket has no bind-before-connect.
     */
    private static void bindToTimeWaitPort(Timeline t, Verdict v, InetSocketAddress server) throws Exception {
        List<Integer> picked = Ss.localPorts("time-wait", server.getPort());
        String seen;
        try (Socket s = new Socket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(server.getAddress(), picked.get(0)));
            seen = "bound";
        } catch (BindException e) {
            seen = "EADDRINUSE (" + e.getMessage() + ")";
        }
        t.say("bind(SO_REUSEADDR) to port " + picked.get(0) + ", picked by connect() and now in TIME-WAIT: " + seen);
        v.check(seen.startsWith("EADDRINUSE"), "bind(SO_REUSEADDR) to a port connect() picked, in TIME-WAIT, fails: that "
                + "TIME-WAIT socket had no SO_REUSEADDR", "port " + picked.get(0) + ": " + seen);

        InetSocketAddress local = new InetSocketAddress(server.getAddress(), OWN_PORT);
        try (Socket first = new Socket()) {
            first.setReuseAddress(true);
            first.bind(local);
            first.connect(server, 2000);
            first.getInputStream().read(); // the greeting: closing with it unread would send RST, not FIN
        }
        String tw = Ss.await(OWN_PORT, server.getPort(), "TIME-WAIT", 2000);
        long t0 = System.nanoTime();
        try (Socket again = new Socket()) {
            again.setReuseAddress(true);
            again.bind(local);
            again.connect(server, 2000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            String state = Ss.state(OWN_PORT, server.getPort());
            t.say("port " + OWN_PORT + " bound with SO_REUSEADDR, closed first (ss: " + tw + "), bound and connected again: "
                    + ms + " ms, ss: " + state);
            v.check(tw.equals("TIME-WAIT") && state.equals("ESTAB") && ms < 500, "with tcp_tw_reuse=0, a port bound with SO_REUSEADDR "
                    + "and left in TIME-WAIT is bound and connected again at once (tcp_tw_reuse governs only ports connect() picks)",
                    "port " + OWN_PORT + " " + tw + ", then " + state + " after " + ms + " ms");
        }
    }

    private static void serve(TcpListener l, Strategy s) {
        ByteBuffer b = ByteBuffer.allocate(16);
        try {
            for (;;) {
                TcpSocket c = l.accept();
                if (s == Strategy.SERVER_FIRST) {
                    c.close(CloseMode.RELEASE); // the server closes first and keeps the TIME_WAIT
                } else {
                    try {
                        c.write(ByteBuffer.wrap(GREETING)); // tells the client it was accepted
                        c.read(b.clear(), Duration.ofSeconds(2)); // EOF or reset from the client
                    } catch (Exception ignored) {
                        // ABORT: connection reset
                    }
                    c.close(CloseMode.RELEASE);
                }
            }
        } catch (SocketClosedException done) {
            // listener closed: the run is over
        } catch (Exception e) {
            System.err.println("server: " + e);
        }
    }
}
