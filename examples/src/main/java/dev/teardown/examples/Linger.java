package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpOption;
import java.nio.ByteBuffer;
import java.time.Duration;

/** linger(t): close waits until the data is acknowledged, or until t passes and the socket is reset. */
final class Linger implements Scenario {
    @Override
    public String name() {
        return "linger";
    }

    @Override
    public String summary() {
        return "linger(t): close waits for the peer to acknowledge the data; a peer that does not read gets RST after t";
    }

    @Override
    public Verdict run(Timeline t) throws Exception {
        Verdict v = new Verdict();
        Duration linger = Duration.ofSeconds(1);
        t.say("--- 1. the peer reads: close(linger(1 s)) returns once everything is acknowledged");
        try (Conn c = Conn.open(t)) {
            c.server.write(ByteBuffer.allocate(64 * 1024));
            Thread reader = new Thread(() -> drain(c));
            reader.start();
            CloseOutcome o = c.server.close(CloseMode.linger(linger));
            reader.join(5000);
            t.say("server: close(linger) -> " + o.sent() + " after " + o.elapsed().toMillis() + " ms: " + o.detail());
            v.check(o.sent() == CloseOutcome.Sent.FIN && o.elapsed().compareTo(linger) < 0,
                    "with a reading peer, linger closed with FIN before the deadline", o);
        }
        t.say("--- 2. the peer does not read: the send queue never drains");
        try (Conn c = Conn.open(t)) {
            c.server.setOption(TcpOption.SO_SNDBUF, 64 * 1024);
            // Write until the peer's receive window and our send buffer are full and the writer blocks.
            Thread writer = new Thread(() -> {
                try {
                    c.server.write(ByteBuffer.allocateDirect(64 << 20));
                } catch (Exception closed) {
                    // woken by the close below
                }
            });
            writer.start();
            // Until the queue holds data and stops growing (a writer that starts late reads as 0 twice in a row).
            long before;
            long now = -1;
            long end = System.nanoTime() + 10_000_000_000L;
            do {
                // the writer first allocates its 64 MiB buffer (a few hundred ms): wait for a queue that stopped growing
                before = now;
                Thread.sleep(100);
                now = Timeline.sendQueue(c.serverPort, c.clientPort);
            } while ((now <= 0 || now != before) && System.nanoTime() < end);
            t.say("server: " + now + " bytes queued unacknowledged, the writer is blocked; the client reads nothing");
            CloseOutcome o = c.server.close(CloseMode.linger(linger));
            writer.join(5000);
            t.say("server: close(linger) -> " + o.sent() + " after " + o.elapsed().toMillis() + " ms: " + o.detail());
            long ms = o.elapsed().toMillis();
            v.check(o.rstSent() && o.deadlineExpired(), "the deadline passed and the socket was reset", o);
            v.check(ms >= 950 && ms < 2500, "close returned after about 1 s", ms + " ms");
            String client = Ss.state(c.clientPort, c.serverPort);
            t.say("ss: the client side is " + client + " (reset: nothing left)");
            v.check(client.equals("GONE"), "ss: the reset removed the client's socket", client);
        }
        return v;
    }

    private static void drain(Conn c) {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        try {
            while (c.client.read(b.clear(), Duration.ofSeconds(5)) >= 0) {
                // keep reading until the server's FIN
            }
        } catch (Exception ignored) {
            // the scenario reports what the server saw
        }
    }
}
