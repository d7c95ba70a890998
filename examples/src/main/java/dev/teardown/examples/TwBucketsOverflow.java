package dev.teardown.examples;

import dev.teardown.CloseMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * With net.ipv4.tcp_max_tw_buckets exceeded, the kernel destroys a new time-wait entry at once instead of keeping
 * it (counted as TCPTimeWaitOverflow): a TIME_WAIT that would have been, and an orphaned FIN_WAIT2 too, since the
 * kernel keeps that as a time-wait entry. The peer's late FIN then finds no socket and is answered with RST.
 */
final class TwBucketsOverflow implements Scenario {
    static final int BUCKETS = 2;
    static final int CONNECTIONS = 5;

    @Override
    public String name() {
        return "tw-buckets-overflow";
    }

    @Override
    public String summary() {
        return "past tcp_max_tw_buckets, new TIME_WAIT and orphaned FIN_WAIT2 entries are destroyed at once; the late FIN meets RST";
    }

    @Override
    public String unavailableReason() {
        String why = Netns.unavailableReason();
        return why != null ? why : Capture.unavailableReason();
    }

    @Override
    public Verdict run(Timeline outer) throws Exception {
        return Netns.scenario(outer, Map.of("net.ipv4.tcp_max_tw_buckets", String.valueOf(BUCKETS)), this::show);
    }

    private Verdict show(Timeline t) throws Exception {
        Verdict v = new Verdict();
        t.say("--- 1. " + CONNECTIONS + " four-way closes, the client first: each client would keep a TIME_WAIT");
        Nstat before = Nstat.read();
        List<Conn> conns = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Conn c = Conn.open(t);
                conns.add(c);
                c.client.shutdownOutput();
                c.server.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
                c.server.close(CloseMode.RELEASE);
                c.client.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
                c.client.close(CloseMode.RELEASE);
            }
            Thread.sleep(300);
            t.sample();
            int timeWait = Ss.countAll("time-wait");
            long overflow = Nstat.read().since(before, "TcpExtTCPTimeWaitOverflow");
            t.say("ss: " + timeWait + " sockets in TIME-WAIT; nstat: TcpExtTCPTimeWaitOverflow +" + overflow);
            v.check(timeWait == BUCKETS, "ss: only tcp_max_tw_buckets (" + BUCKETS + ") clients are in TIME-WAIT", timeWait);
            v.check(overflow == CONNECTIONS - BUCKETS, "nstat: the other " + (CONNECTIONS - BUCKETS)
                    + " time-wait entries overflowed (TcpExtTCPTimeWaitOverflow)", "+" + overflow);
        } finally {
            for (Conn c : conns) {
                c.close();
            }
        }

        t.say("--- 2. the buckets are full; a client closes, its server answers only later");
        try (Conn c = Conn.open(t, name(), name(), v)) {
            Nstat mid = Nstat.read();
            c.client.close(CloseMode.RELEASE);
            t.say("client: close(RELEASE) -> FIN; once acknowledged, the orphan's FIN_WAIT2 would be a time-wait entry");
            Thread.sleep(300);
            t.sample();
            String client = Ss.state(c.clientPort, c.serverPort);
            String server = Ss.state(c.serverPort, c.clientPort);
            long overflow = Nstat.read().since(mid, "TcpExtTCPTimeWaitOverflow");
            t.say("ss: client " + client + ", server " + server + "; nstat: TcpExtTCPTimeWaitOverflow +" + overflow);
            v.check(client.equals("GONE") && server.equals("CLOSE-WAIT"),
                    "ss: the client's FIN-WAIT-2 was destroyed at once (the server waits in CLOSE-WAIT)", client + "/" + server);
            v.check(overflow == 1, "nstat: that FIN_WAIT2 counted as a time-wait overflow", "+" + overflow);
            int eof = c.server.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
            c.server.close(CloseMode.RELEASE);
            t.say("server: read -> " + eof + " (EOF), close(RELEASE) -> FIN, to a client socket that no longer exists");
            String after = Ss.await(c.serverPort, c.clientPort, "GONE", 2000);
            t.sample();
            t.say("ss: server " + after);
            v.check(after.equals("GONE"), "ss: the server's LAST-ACK ended at once (reset, not retransmitting its FIN)", after);
            Ladder l = c.ladder(t, name(), name(), "tcp_max_tw_buckets exceeded: the late FIN meets RST");
            if (l != null) {
                Packet serverFin = null;
                Packet rst = null;
                for (Packet p : l.packets) {
                    if (p.srcPort() == c.serverPort && p.fin() && serverFin == null) {
                        serverFin = p;
                    }
                    if (serverFin != null && p.srcPort() == c.clientPort && p.rst() && rst == null) {
                        rst = p;
                    }
                }
                v.check(serverFin != null && rst != null, "capture: the server's late FIN was answered by an RST from the client's port",
                        serverFin == null ? "no server FIN" : rst == null ? "no RST" : String.format("RST %.3f ms after the FIN",
                                (rst.time() - serverFin.time()) * 1000));
            }
        }
        return v;
    }
}
