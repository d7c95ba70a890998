package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A FIN to a dead peer (iptables drops everything from the client to the server): the orphaned closer sits in
 * FIN_WAIT1 resending its FIN with exponential backoff until tcp_orphan_retries ends it, silently (no RST).
 */
final class FinWait1DeadPeer implements Scenario {
    static final int ORPHAN_RETRIES = 3;
    static final long LIMIT_MS = 30_000;

    @Override
    public String name() {
        return "fin-wait1-dead-peer";
    }

    @Override
    public String summary() {
        return "a FIN to a dead peer is resent with backoff in FIN_WAIT1 until tcp_orphan_retries ends it, without RST";
    }

    @Override
    public String unavailableReason() {
        String why = Netns.unavailableReason();
        why = why != null ? why : Capture.unavailableReason();
        return why != null ? why : Tools.missing("iptables");
    }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        return Netns.scenario(outer, Map.of("net.ipv4.tcp_orphan_retries", String.valueOf(ORPHAN_RETRIES)), this::show);
    }

    private Verdict show(Timeline t) throws Exception {
        Verdict v = new Verdict();
        try (Conn c = Conn.open(t, name(), name(), v)) {
            Netns.exec("iptables", "-A", "INPUT", "-p", "tcp", "--sport", String.valueOf(c.clientPort), "--dport",
                    String.valueOf(c.serverPort), "-j", "DROP");
            t.say("iptables: every segment from the client to the server is dropped from now on: the peer is dead to the client");
            Nstat before = Nstat.read();
            CloseOutcome o = c.client.close(CloseMode.RELEASE);
            double closedAt = Timeline.now();
            t.say("client: close(RELEASE) -> " + o.sent() + "; the orphan waits for an ACK that never comes");
            boolean sawFinWait1 = false;
            String state;
            String detail = "";
            do {
                Thread.sleep(100);
                state = Ss.state(c.clientPort, c.serverPort);
                if (state.equals("FIN-WAIT-1") && !sawFinWait1) {
                    sawFinWait1 = true;
                    detail = Ss.detail(c.clientPort, c.serverPort);
                    t.say("ss: " + detail);
                }
            } while (!state.equals("GONE") && (Timeline.now() - closedAt) * 1000 < LIMIT_MS);
            double lived = Timeline.now() - closedAt;
            t.sample();
            Nstat after = Nstat.read();
            String server = Ss.state(c.serverPort, c.clientPort);
            t.say(String.format("ss: the client's FIN-WAIT-1 went %s after %.1f s; the server, which never got the FIN: %s",
                    state, lived, server));
            v.check(sawFinWait1, "ss: the client sat in FIN-WAIT-1", detail.isEmpty() ? "never" : detail);
            v.check(state.equals("GONE"), "ss: the orphan was ended (within " + LIMIT_MS / 1000 + " s)", String.format("%s after %.1f s", state, lived));
            v.check(server.equals("ESTAB"), "ss: the server never heard the FIN (still ESTAB)", server);
            long aborts = after.since(before, "TcpExtTCPAbortOnTimeout");
            t.say("nstat: TcpExtTCPAbortOnTimeout +" + aborts + ", TcpRetransSegs +" + after.since(before, "TcpRetransSegs")
                    + ", TcpExtTCPLossProbes +" + after.since(before, "TcpExtTCPLossProbes"));
            v.check(aborts == 1, "nstat: the kernel counted one connection aborted on timeout (TcpExtTCPAbortOnTimeout)", "+" + aborts);
            List<Packet> ps = c.capture == null ? null : Ladder.between(c.capture.stop(), c.clientPort, c.serverPort);
            if (ps != null) {
                checkWire(t, v, ps, c);
            }
        }
        return v;
    }

    /** The capture holds the FIN and its resends, at growing intervals, then nothing: no RST. */
    private static void checkWire(Timeline t, Verdict v, List<Packet> ps, Conn c) {
        List<Packet> fins = new ArrayList<>();
        long rsts = 0;
        boolean serverSpoke = false;
        for (Packet p : ps) {
            if (p.srcPort() == c.clientPort && p.fin()) {
                fins.add(p);
            }
            if (p.srcPort() == c.clientPort && p.rst()) {
                rsts++;
            }
            if (!fins.isEmpty() && p.srcPort() == c.serverPort) {
                serverSpoke = true;
            }
        }
        if (fins.isEmpty()) {
            v.check(false, "capture: the client's FIN", "no FIN captured");
            return;
        }
        double first = fins.get(0).time();
        List<String> at = new ArrayList<>();
        t.print("the FIN and its resends (tcpdump; the first resend is a tail-loss probe, then retransmission timeouts):");
        t.print(String.format("  %-8s %10s %10s  %s", "segment", "at (s)", "gap (s)", "flags, seq"));
        double prevGap = 0;
        boolean growing = true;
        for (int i = 0; i < fins.size(); i++) {
            Packet f = fins.get(i);
            double since = f.time() - first;
            double gap = i == 0 ? 0 : f.time() - fins.get(i - 1).time();
            if (i >= 2 && gap < prevGap * 0.9) {
                growing = false;
            }
            prevGap = gap;
            if (i > 0) {
                at.add(String.format("%.2f", since));
            }
            t.print(String.format("  %-8s %10.3f %10.3f  %s seq=%d", i == 0 ? "FIN" : "resend " + i, since, gap,
                    f.flagNames(), f.seq() - fins.get(0).seq()));
        }
        boolean sameSeq = fins.stream().allMatch(f -> f.seq() == fins.get(0).seq());
        v.check(fins.size() >= 4 && sameSeq, "capture: the same FIN was resent at least 3 times", (fins.size() - 1) + " resends at "
                + at + " s" + (sameSeq ? "" : " (sequence numbers differ)"));
        double firstGap = fins.size() > 1 ? fins.get(1).time() - first : 0;
        double lastGap = fins.size() > 1 ? fins.get(fins.size() - 1).time() - fins.get(fins.size() - 2).time() : 0;
        v.check(growing && lastGap >= 4 * firstGap, "capture: the gaps between resends grow (exponential backoff)",
                String.format("first gap %.2f s, last %.2f s", firstGap, lastGap));
        v.check(rsts == 0, "capture: the orphan ended silently, the client sent no RST", rsts + " RST");
        v.check(!serverSpoke, "capture: the server sent nothing after the FIN (it never received it)", serverSpoke ? "it did" : "nothing");
    }
}
