package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.ConnectionResetException;
import java.nio.ByteBuffer;
import java.time.Duration;

/** ABORT sends RST: the peer's read fails with connection reset and no TIME_WAIT is left. */
final class Abort implements Scenario {
    @Override
    public String name() {
        return "abort";
    }

    @Override
    public String summary() {
        return "ABORT (SO_LINGER {1,0}) sends RST: the peer sees connection reset, nobody is left in TIME_WAIT";
    }

    @Override
    public Verdict run(Timeline t) throws Exception {
        Verdict v = new Verdict();
        try (Conn c = Conn.open(t, name(), name(), v)) {
            CloseOutcome o = c.client.close(CloseMode.ABORT);
            t.say("client: close(ABORT) -> " + o.sent() + ": " + o.detail());
            v.check(o.sent() == CloseOutcome.Sent.RST, "the outcome says RST", o.sent());
            String seen;
            try {
                int n = c.server.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
                seen = "read returned " + n;
            } catch (ConnectionResetException e) {
                seen = e.getMessage();
            }
            t.say("server: read -> " + seen);
            v.check(seen.contains("ECONNRESET"), "the server's read fails with ECONNRESET", seen);
            int again = c.server.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
            t.say("server: read again -> " + again + (again < 0 ? " (EOF: the reset is reported once)" : ""));
            v.check(again == -1, "the server's next read returns EOF: ECONNRESET is reported once", again);
            c.server.close(CloseMode.RELEASE);
            Thread.sleep(200);
            t.sample();
            String client = Ss.state(c.clientPort, c.serverPort);
            String server = Ss.state(c.serverPort, c.clientPort);
            t.say("ss: client side " + client + ", server side " + server);
            v.check(client.equals("GONE") && server.equals("GONE"), "ss: no socket of the pair is left, no TIME-WAIT",
                    client + "/" + server);
            Ladder l = c.ladder(t, name(), name(), "ABORT: SO_LINGER {1,0}, then close");
            if (l != null) {
                long clientRst = l.packets.stream().filter(p -> p.srcPort() == c.clientPort && p.rst()).count();
                long clientFin = l.packets.stream().filter(p -> p.srcPort() == c.clientPort && p.fin()).count();
                v.check(clientRst == 1 && clientFin == 0, "capture: the client sent one RST and no FIN",
                        clientRst + " RST, " + clientFin + " FIN");
            }
        }
        return v;
    }
}
