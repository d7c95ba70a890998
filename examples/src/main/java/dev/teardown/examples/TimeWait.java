package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import java.nio.ByteBuffer;
import java.time.Duration;

/** TIME_WAIT falls on whoever closes first, and lasts about 60 s: client-first against server-first. */
final class TimeWait implements Scenario {
    @Override
    public String name() {
        return "time-wait";
    }

    @Override
    public String summary() {
        return "TIME_WAIT falls on the side that closes first and lasts about 60 s";
    }

    @Override
    public Verdict run(Timeline t) throws Exception {
        Verdict v = new Verdict();
        for (boolean clientFirst : new boolean[] {true, false}) {
            t.say("--- " + (clientFirst ? "1. the client closes first" : "2. the server closes first"));
            try (Conn c = Conn.open(t)) {
                var first = clientFirst ? c.client : c.server;
                var second = clientFirst ? c.server : c.client;
                CloseOutcome o = first.close(CloseMode.RELEASE);
                t.say((clientFirst ? "client" : "server") + ": close(RELEASE) -> " + o.sent());
                int n = second.read(ByteBuffer.allocate(16), Duration.ofSeconds(5));
                t.say((clientFirst ? "server" : "client") + ": read -> " + n + " (the peer's FIN), close(RELEASE)");
                second.close(CloseMode.RELEASE);
                int firstLocal = clientFirst ? c.clientPort : c.serverPort;
                int firstPeer = clientFirst ? c.serverPort : c.clientPort;
                String closer = Ss.await(firstLocal, firstPeer, "TIME-WAIT", 2000);
                String other = Ss.await(firstPeer, firstLocal, "GONE", 2000);
                t.sample();
                t.say("ss: first closer " + closer + ", other side " + other);
                v.check(closer.equals("TIME-WAIT"), "ss: the " + (clientFirst ? "client" : "server") + " (first closer) is in TIME-WAIT", closer);
                v.check(other.equals("GONE"), "ss: the other side left no socket behind", other);
                long left = Timeline.timeWaitSecondsLeft(firstLocal, firstPeer);
                t.say("TcpTable: TIME_WAIT expires in " + left + " s");
                v.check(left >= 0 && left <= 60, "the TIME_WAIT timer is at most 60 s", left + " s");
            }
        }
        return v;
    }
}
