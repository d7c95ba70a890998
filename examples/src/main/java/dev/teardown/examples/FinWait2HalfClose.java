package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.TcpOption;
import java.time.Duration;

/**
 * After shutdownOutput with the socket still held, FIN_WAIT2 has no timer: it outlives tcp_fin_timeout
 * until the holder closes.
 */
final class FinWait2HalfClose implements Scenario {
    static final int SECONDS = 2;

    @Override
    public String name() {
        return "fin-wait2-half-close";
    }

    @Override
    public String summary() {
        return "after shutdownOutput with the socket still held, FIN_WAIT2 outlives tcp_fin_timeout until the holder closes";
    }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        Verdict v = Netns.withFinTimeout(outer, SECONDS, t -> show(t, SECONDS));
        if (v != null) {
            return v;
        }
        int timeout = Integer.parseInt(Netns.sysctl("net.ipv4.tcp_fin_timeout"));
        outer.say("comparing against the host's tcp_fin_timeout=" + timeout
                + " s would take too long; waiting " + (SECONDS * 2) + " s to show the held FIN_WAIT2 has no timer");
        return show(outer, SECONDS);
    }

    private static Verdict show(Timeline t, int finTimeout) throws Exception {
        Verdict v = new Verdict();
        try (Conn c = Conn.open(t)) {
            c.client.shutdownOutput();
            t.say("client: shutdownOutput() -> FIN; the client still holds its socket and could read");
            String s = Ss.await(c.clientPort, c.serverPort, "FIN-WAIT-2", 2000);
            v.check(s.equals("FIN-WAIT-2"), "ss: the client is in FIN-WAIT-2", s);
            Thread.sleep(Duration.ofSeconds(finTimeout * 2L).toMillis());
            t.sample();
            s = Ss.state(c.clientPort, c.serverPort);
            t.say("ss after " + (finTimeout * 2) + " s (twice tcp_fin_timeout): client " + s);
            v.check(s.equals("FIN-WAIT-2"), "ss: FIN-WAIT-2 outlived tcp_fin_timeout while held", s);
            // Bound the orphan's life the same way on a host whose tcp_fin_timeout we may not change.
            c.client.setOption(TcpOption.TCP_LINGER2, Duration.ofSeconds(finTimeout));
            c.client.close(CloseMode.RELEASE);
            long closedAt = System.nanoTime();
            t.say("client: close(RELEASE): the holder lets go; the FIN_WAIT2 is now an orphan with a timer");
            s = Ss.await(c.clientPort, c.serverPort, "GONE", (finTimeout + 3) * 1000L);
            double lived = (System.nanoTime() - closedAt) / 1e9;
            t.sample();
            t.say(String.format("ss: the orphan went %s after %.1f s", s, lived));
            v.check(s.equals("GONE") && lived >= finTimeout - 0.2, "ss: only after the holder closed did the FIN-WAIT-2 expire, "
                    + finTimeout + " s later", String.format("%s after %.2f s", s, lived));
        }
        return v;
    }
}
