package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpOption;
import java.time.Duration;

/**
 * An orphaned FIN_WAIT2 (we closed, the peer never sends its FIN) lives tcp_fin_timeout, or TCP_LINGER2
 * when set on the socket, and then vanishes without entering TIME_WAIT.
 */
final class FinWait2Orphan implements Scenario {
    static final int SECONDS = 3;

    @Override
    public String name() {
        return "fin-wait2-orphan";
    }

    @Override
    public String summary() {
        return "an orphaned FIN_WAIT2 lasts tcp_fin_timeout (or TCP_LINGER2) and vanishes without TIME_WAIT";
    }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        Verdict v = Netns.withFinTimeout(outer, SECONDS, t -> show(t, false));
        if (v != null) {
            return v;
        }
        outer.say("using TCP_LINGER2=" + SECONDS + " s on the closing socket instead");
        return show(outer, true);
    }

    private static Verdict show(Timeline t, boolean linger2) throws Exception {
        Verdict v = new Verdict();
        try (Conn c = Conn.open(t)) {
            if (linger2) {
                c.client.setOption(TcpOption.TCP_LINGER2, Duration.ofSeconds(SECONDS));
            }
            CloseOutcome o = c.client.close(CloseMode.RELEASE);
            long closedAt = System.nanoTime();
            t.say("client: close(RELEASE) -> " + o.sent() + "; the server keeps its end open and never closes");
            String s = Ss.await(c.clientPort, c.serverPort, "FIN-WAIT-2", 2000);
            v.check(s.equals("FIN-WAIT-2"), "ss: the client is in FIN-WAIT-2", s);
            boolean sawTimeWait = false;
            String state;
            do {
                Thread.sleep(100);
                state = Ss.state(c.clientPort, c.serverPort);
                sawTimeWait |= state.contains("TIME-WAIT");
            } while (!state.equals("GONE") && System.nanoTime() - closedAt < (SECONDS + 5) * 1_000_000_000L);
            double lived = (System.nanoTime() - closedAt) / 1e9;
            t.sample();
            t.say(String.format("ss: the orphaned FIN-WAIT-2 lived %.1f s, then %s", lived, state));
            v.check(state.equals("GONE"), "ss: the orphan vanished", state);
            v.check(lived >= SECONDS - 0.2 && lived < SECONDS + 2, "it lived about " + SECONDS + " s", String.format("%.2f s", lived));
            v.check(!sawTimeWait, "ss never showed it in TIME-WAIT", sawTimeWait ? "TIME-WAIT seen" : "never");
        }
        return v;
    }
}
