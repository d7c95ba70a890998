package dev.teardown.examples;

import dev.teardown.AddressNotAvailableException;
import dev.teardown.CloseMode;
import dev.teardown.SocketClosedException;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * In a private namespace with a 200-port range and tcp_tw_reuse=0, closing first on the client side fills the
 * range with TIME_WAIT and connect() fails with EADDRNOTAVAIL; server-first close, ABORT and tcp_tw_reuse each
 * avoid it.
 */
final class PortExhaustion implements Scenario {
    static final String RANGE = "40000 40199";
    static final long RUN_NANOS = 1_500_000_000L;

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
                switch (s) {
                    case SERVER_FIRST:
                        c.read(one.clear(), Duration.ofSeconds(2)); // wait for the server's FIN
                        c.close(CloseMode.RELEASE);
                        break;
                    case ABORT:
                        c.close(CloseMode.ABORT);
                        break;
                    default:
                        c.close(CloseMode.RELEASE);
                }
                ok++;
            }
            double secs = (System.nanoTime() - start) / 1e9;
            int tw = Ss.count("time-wait", l.localAddress().getPort());
            String r = String.format("%d connections in %.2f s (%.0f/s), TIME-WAIT now %d, %s", ok, secs, ok / secs, tw,
                    exhausted == null ? "no EADDRNOTAVAIL" : "EADDRNOTAVAIL");
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
            } else {
                v.check(exhausted == null && ok > 200, s + " sustained more connections than the range has ports, without EADDRNOTAVAIL",
                        ok + " connections");
            }
            l.close();
            server.join(2000);
            return r;
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
