package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpException;
import dev.teardown.TcpOption;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A server that closes with request bytes unread sends RST, and the client loses the tail of the response it
 * was sent; graceful close delivers all of it.
 */
final class UnreadDataRst implements Scenario {
    static final int RESPONSE = 256 * 1024;

    @Override
    public String name() {
        return "unread-data-rst";
    }

    @Override
    public String summary() {
        return "closing with unread input sends RST and the client loses the response's tail; graceful delivers it all";
    }

    @Override
    public Verdict run(Timeline t) throws Exception {
        Verdict v = new Verdict();
        for (CloseMode mode : new CloseMode[] {CloseMode.RELEASE, CloseMode.graceful(Duration.ofSeconds(5))}) {
            t.say("--- the server answers, then closes with " + mode + " while 100 request bytes are unread");
            String label = mode.kind() == CloseMode.Kind.GRACEFUL ? "graceful" : "release";
            try (Conn c = Conn.open(t, name(), label, v)) {
                c.client.setOption(TcpOption.SO_RCVBUF, 16 * 1024);
                c.server.setOption(TcpOption.SO_SNDBUF, 512 * 1024);
                c.client.write(ByteBuffer.wrap(new byte[200]));
                c.server.read(ByteBuffer.allocate(100), Duration.ofSeconds(5)); // reads only part of the request
                Thread.sleep(50); // let the rest of the request arrive
                c.server.write(ByteBuffer.allocate(RESPONSE));
                t.say("server: wrote a " + RESPONSE + "-byte response; the client has not read yet");
                var closing = c.server.closeAsync(mode);
                Thread.sleep(200);
                long got = 0;
                String end;
                ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                try {
                    for (;;) {
                        b.clear();
                        int n = c.client.read(b, Duration.ofSeconds(5));
                        if (n < 0) {
                            end = "end of stream";
                            break;
                        }
                        got += n;
                    }
                } catch (TcpException e) {
                    end = e.errnoName();
                }
                if (mode.kind() == CloseMode.Kind.GRACEFUL) {
                    c.client.close(CloseMode.RELEASE); // lets the server's drain see our FIN
                }
                CloseOutcome o = closing.get();
                t.say("server: close(" + mode + ") -> " + o.sent() + ": " + o.detail());
                t.say("client: received " + got + " of " + RESPONSE + " bytes, then " + end);
                Thread.sleep(200);
                Ladder l = c.ladder(t, name(), label, "the server closes with " + mode + " while request bytes are unread");
                if (l != null) {
                    long rst = l.packets.stream().filter(p -> p.srcPort() == c.serverPort && p.rst()).count();
                    long fin = l.packets.stream().filter(p -> p.srcPort() == c.serverPort && p.fin()).count();
                    boolean rstWanted = mode == CloseMode.RELEASE;
                    v.check(rstWanted ? rst >= 1 && fin == 0 : rst == 0 && fin >= 1, "capture: the server's close put "
                            + (rstWanted ? "RST and no FIN" : "FIN and no RST") + " on the wire", rst + " RST, " + fin + " FIN");
                }
                if (mode == CloseMode.RELEASE) {
                    v.check(o.rstSent() && o.unreadBytesDiscarded() == 100, "RELEASE with 100 unread bytes sent RST", o);
                    v.check(got < RESPONSE && end.equals("ECONNRESET"), "the client lost the response's tail to ECONNRESET",
                            got + " bytes, " + end);
                } else {
                    v.check(!o.rstSent() && o.bytesDrained() == 100, "graceful drained the 100 unread bytes and sent FIN, no RST", o);
                    v.check(got == RESPONSE && end.equals("end of stream"), "the client received every byte, then EOF",
                            got + " bytes, " + end);
                }
            }
        }
        return v;
    }
}
