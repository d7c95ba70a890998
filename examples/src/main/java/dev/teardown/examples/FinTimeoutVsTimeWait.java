package dev.teardown.examples;

import dev.teardown.CloseMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;

/**
 * tcp_fin_timeout bounds only the orphaned FIN_WAIT2, never TIME_WAIT: with it at 3 s, an orphan vanishes after
 * about 3 s while a TIME_WAIT made at the same moment keeps its 60 s timer. ss lists the orphan as FIN-WAIT-2
 * with a timewait timer and no inode. Above 60 s the orphan lives 2×(tcp_fin_timeout−60): 4 s for 62.
 */
final class FinTimeoutVsTimeWait implements Scenario {
    static final int SHORT = 3;
    static final int LONG = 62;

    @Override
    public String name() {
        return "fin-timeout-vs-time-wait";
    }

    @Override
    public String summary() {
        return "tcp_fin_timeout (3 s) ends an orphaned FIN_WAIT2 but leaves TIME_WAIT at 60 s; at 62 s the orphan lives 4 s";
    }

    @Override
    public String unavailableReason() {
        return Netns.unavailableReason();
    }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        Verdict v = new Verdict();
        outer.say("--- 1. tcp_fin_timeout=" + SHORT + ": an orphaned FIN_WAIT2 and a TIME_WAIT, made at the same moment");
        Netns.scenario(outer, Map.of("net.ipv4.tcp_fin_timeout", String.valueOf(SHORT)), t -> shortTimeout(t, v));
        outer.say("--- 2. tcp_fin_timeout=" + LONG + " (above 60 s): how long the orphaned FIN_WAIT2 lives");
        Netns.scenario(outer, Map.of("net.ipv4.tcp_fin_timeout", String.valueOf(LONG)), t -> longTimeout(t, v));
        return v;
    }

    private static Verdict shortTimeout(Timeline t, Verdict v) throws Exception {
        try (Conn orphan = Conn.open(t); Conn tw = Conn.open(t)) {
            Nstat before = Nstat.read();
            orphan.client.close(CloseMode.RELEASE);
            double orphanClosed = Timeline.now();
            tw.client.close(CloseMode.RELEASE);
            double twClosed = Timeline.now();
            tw.server.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
            tw.server.close(CloseMode.RELEASE);
            t.say("client A: close; its server never closes (A's client is an orphan in FIN_WAIT2)");
            t.say("client B: close; its server reads EOF and closes (B's client goes to TIME_WAIT)");
            Ss.await(orphan.clientPort, orphan.serverPort, "FIN-WAIT-2", 2000);
            Ss.await(tw.clientPort, tw.serverPort, "TIME-WAIT", 2000);
            Thread.sleep(200);
            String a = Ss.detail(orphan.clientPort, orphan.serverPort);
            String b = Ss.detail(tw.clientPort, tw.serverPort);
            t.say("ss -tanoe: A " + a);
            t.say("ss -tanoe: B " + b);
            String[] at = Ss.timer(a);
            v.check(a.startsWith("FIN-WAIT-2") && at != null && at[0].equals("timewait") && a.contains("ino:0")
                            && Double.parseDouble(at[1]) <= SHORT,
                    "ss: the orphan is listed as FIN-WAIT-2 with a timewait timer of at most " + SHORT + " s and no inode (ino:0)", a);
            String[] bt = Ss.timer(b);
            v.check(b.startsWith("TIME-WAIT") && bt != null && bt[0].equals("timewait") && Double.parseDouble(bt[1]) > 50,
                    "ss: the TIME-WAIT's timer is near 60 s although tcp_fin_timeout=" + SHORT, b);

            boolean orphanInTimeWait = false;
            String s;
            do {
                Thread.sleep(20);
                s = Ss.state(orphan.clientPort, orphan.serverPort);
                orphanInTimeWait |= s.contains("TIME-WAIT");
            } while (!s.equals("GONE") && Timeline.now() - orphanClosed < SHORT + 3);
            double lived = Timeline.now() - orphanClosed;
            t.sample();
            Nstat after = Nstat.read();
            t.say(String.format("ss: A's FIN-WAIT-2 went %s %.3f s after the close (%+.0f ms against tcp_fin_timeout)", s, lived,
                    (lived - SHORT) * 1000));
            v.check(s.equals("GONE") && lived >= SHORT && lived < SHORT + 1, "ss: the orphan vanished about " + SHORT
                    + " s after the close, not before", String.format("%s after %.3f s", s, lived));
            v.check(!orphanInTimeWait, "ss: the orphan never entered TIME-WAIT", orphanInTimeWait ? "it did" : "never");
            long expired = after.since(before, "TcpExtTW");
            t.say("nstat: TcpExtTW (time-wait entries ended by their timer) +" + expired);
            v.check(expired == 1, "nstat: one time-wait entry expired (the orphan: the kernel keeps it as one)", "+" + expired);

            b = Ss.detail(tw.clientPort, tw.serverPort);
            bt = Ss.timer(b);
            double since = Timeline.now() - twClosed;
            double total = bt == null ? 0 : since + Double.parseDouble(bt[1]);
            t.say(String.format("ss -tanoe: B %s (%.1f s after its close)", b, since));
            v.check(b.startsWith("TIME-WAIT") && total > 57 && total < 62, "ss: B is still in TIME-WAIT after tcp_fin_timeout, "
                    + "its age plus its timer about 60 s", String.format("%.1f s + %s s = %.1f s", since, bt == null ? "-" : bt[1], total));
        }
        return v;
    }

    private static Verdict longTimeout(Timeline t, Verdict v) throws Exception {
        double expect = 2.0 * (LONG - 60);
        try (Conn c = Conn.open(t)) {
            c.client.close(CloseMode.RELEASE);
            double closed = Timeline.now();
            t.say("client: close; the server never closes: an orphaned FIN_WAIT2 with tcp_fin_timeout=" + LONG);
            String timers = "";
            String last = "";
            String s;
            do {
                Thread.sleep(20);
                String d = Ss.detail(c.clientPort, c.serverPort);
                String[] tm = Ss.timer(d);
                String kind = tm == null ? "none" : tm[0];
                if (!kind.equals(last) && !d.equals("GONE") && (tm == null || Double.parseDouble(tm[1]) > 0)) {
                    t.say(String.format("ss -tanoe (%.2f s): %s", Timeline.now() - closed, d));
                    timers += (timers.isEmpty() ? "" : " then ") + kind;
                    last = kind;
                }
                s = d.equals("GONE") ? "GONE" : d.split(" ")[0];
            } while (!s.equals("GONE") && Timeline.now() - closed < expect + 4);
            double lived = Timeline.now() - closed;
            t.sample();
            t.say(String.format("ss: the FIN-WAIT-2 went %s %.3f s after the close: 2 x (%d - 60) = %.0f s, not %d s (%+.0f ms)",
                    s, lived, LONG, expect, LONG, (lived - expect) * 1000));
            v.check(s.equals("GONE") && lived >= expect && lived < expect + 1, "ss: with tcp_fin_timeout=" + LONG
                    + " the orphan lived 2 x (" + LONG + " - 60) = " + (int) expect + " s", String.format("%s after %.3f s", s, lived));
            v.check(timers.equals("keepalive then timewait"), "ss: first a socket on its keepalive timer for " + (LONG - 60)
                    + " s, then a time-wait entry for " + (LONG - 60) + " s", timers);
        }
        return v;
    }
}
