package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The four-way close on the wire: the client closes (FIN), the server acknowledges, reads EOF and closes (FIN),
 * the client acknowledges and stays in TIME_WAIT. A pause between the two closes lets the table read FIN_WAIT2
 * and CLOSE_WAIT; FIN_WAIT1 and LAST_ACK last microseconds on loopback, and only the capture shows them.
 */
final class FourWayClose implements Scenario {
    static final int PAUSE_MS = 400;

    @Override
    public String name() {
        return "four-way-close";
    }

    @Override
    public String summary() {
        return "the four-way close on the wire: FIN, ACK, FIN, ACK, with each side's state beside each segment";
    }

    @Override
    public String unavailableReason() {
        String why = Netns.unavailableReason();
        return why != null ? why : Capture.unavailableReason();
    }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        return Netns.scenario(outer, Map.of(), this::show);
    }

    private Verdict show(Timeline t) throws Exception {
        Verdict v = new Verdict();
        try (Conn c = Conn.open(t, name(), name(), v)) {
            c.client.write(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
            int n = c.server.read(ByteBuffer.allocate(64), Duration.ofSeconds(5));
            t.say("client: wrote 6 bytes; server: read " + n);
            Thread.sleep(PAUSE_MS);
            CloseOutcome o = c.client.close(CloseMode.RELEASE);
            t.say("client: close(RELEASE) -> " + o.sent());
            String client = Ss.await(c.clientPort, c.serverPort, "FIN-WAIT-2", 2000);
            String server = Ss.await(c.serverPort, c.clientPort, "CLOSE-WAIT", 2000);
            Thread.sleep(PAUSE_MS);
            t.say("ss: client " + client + ", server " + server);
            v.check(client.equals("FIN-WAIT-2") && server.equals("CLOSE-WAIT"),
                    "ss: after the first FIN, the client waits in FIN-WAIT-2 and the server in CLOSE-WAIT", client + "/" + server);
            int eof = c.server.read(ByteBuffer.allocate(64), Duration.ofSeconds(5));
            CloseOutcome so = c.server.close(CloseMode.RELEASE);
            t.say("server: read -> " + eof + " (EOF), close(RELEASE) -> " + so.sent());
            client = Ss.await(c.clientPort, c.serverPort, "TIME-WAIT", 2000);
            server = Ss.await(c.serverPort, c.clientPort, "GONE", 2000);
            Thread.sleep(PAUSE_MS);
            t.say("ss: client " + client + ", server " + server);
            v.check(client.equals("TIME-WAIT") && server.equals("GONE"),
                    "ss: after the second FIN, the client (first closer) is in TIME-WAIT, the server is gone", client + "/" + server);
            Ladder l = c.ladder(t, name(), name(), "the four-way close (client closes first)");
            if (l != null) {
                checkWire(v, l, c);
            }
        }
        return v;
    }

    /** The capture holds FIN, ACK, FIN, ACK in that order and no RST, and the ladder puts the states beside them. */
    private static void checkWire(Verdict v, Ladder l, Conn c) {
        List<Packet> ps = l.packets;
        Packet fin1 = next(ps, 0, c.clientPort, p -> p.fin());
        Packet ack1 = fin1 == null ? null : next(ps, ps.indexOf(fin1), c.serverPort, p -> p.hasAck() && p.ack() == fin1.seqEnd());
        Packet fin2 = ack1 == null ? null : next(ps, ps.indexOf(fin1), c.serverPort, p -> p.fin());
        Packet ack2 = fin2 == null ? null : next(ps, ps.indexOf(fin2), c.clientPort, p -> p.hasAck() && p.ack() == fin2.seqEnd());
        long rsts = ps.stream().filter(Packet::rst).count();
        v.check(fin1 != null && ack1 != null && fin2 != null && ack2 != null && rsts == 0,
                "capture: client FIN, server ACK, server FIN, client ACK, no RST",
                (fin1 != null) + "/" + (ack1 != null) + "/" + (fin2 != null) + "/" + (ack2 != null) + ", " + rsts + " RST");
        if (ack2 == null) {
            return;
        }
        Ladder.Row afterAck1 = l.row(ack1);
        Ladder.Row afterAck2 = l.row(ack2);
        v.check(afterAck1.clientSeen() && afterAck1.client().equals("FIN_WAIT2") && afterAck1.serverSeen()
                        && afterAck1.server().equals("CLOSE_WAIT"),
                "ladder: the table read FIN_WAIT2 / CLOSE_WAIT beside the ACK of the first FIN",
                Ladder.Row.show(afterAck1.client(), afterAck1.clientSeen()) + " / " + Ladder.Row.show(afterAck1.server(), afterAck1.serverSeen()));
        v.check(afterAck2.clientSeen() && afterAck2.client().equals("TIME_WAIT"),
                "ladder: the table read TIME_WAIT beside the last ACK",
                Ladder.Row.show(afterAck2.client(), afterAck2.clientSeen()) + " / " + Ladder.Row.show(afterAck2.server(), afterAck2.serverSeen()));
        Ladder.Row afterFin1 = l.row(fin1);
        Ladder.Row afterFin2 = l.row(fin2);
        v.check(afterFin1.client().equals("FIN_WAIT1"),
                "ladder: the client is in FIN_WAIT1 once its FIN is sent", Ladder.Row.show(afterFin1.client(), afterFin1.clientSeen()));
        v.check(afterFin2.server().equals("LAST_ACK"),
                "ladder: the server is in LAST_ACK once its FIN is sent", Ladder.Row.show(afterFin2.server(), afterFin2.serverSeen()));
        double finGap = (fin2.time() - fin1.time()) * 1000;
        v.check(finGap >= PAUSE_MS, "capture: the two FINs are the pause apart (" + PAUSE_MS + " ms or more)", String.format("%.1f ms", finGap));
    }

    private static Packet next(List<Packet> ps, int from, int srcPort, Predicate<Packet> what) {
        for (int i = from; i < ps.size(); i++) {
            if (ps.get(i).srcPort() == srcPort && what.test(ps.get(i))) {
                return ps.get(i);
            }
        }
        return null;
    }
}
