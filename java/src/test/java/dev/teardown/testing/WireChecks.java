package dev.teardown.testing;

import dev.teardown.testing.Capture.Segment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.stream.Collectors;

/** What the wire tests of JDK and Netty closes share: waits on ss in a namespace, and filters of a capture. */
public final class WireChecks {
    private WireChecks() {}

    /** Reads {@code ch} to end of stream and returns the byte count. */
    public static long readAll(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        long n = 0;
        for (int r; (r = ch.read(b.clear())) >= 0; ) {
            n += r;
        }
        return n;
    }

    /** Waits until ss in {@code ns} shows {@code bytes} queued unread on the connection, or fails after 5 s. */
    public static void awaitRecvQ(NetLab.Ns ns, int localPort, int peerPort, int bytes) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < end) {
            if (ns.ss().stream().anyMatch(r -> r.localPort() == localPort && r.peerPort() == peerPort && r.recvQ() == bytes)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("ss never showed " + bytes + " bytes queued at the closer: " + ns.ss());
    }

    /** Waits until ss in {@code ns} no longer lists the connection, or fails after 5 s. */
    public static void awaitGone(NetLab.Ns ns, int localPort, int peerPort) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        String s;
        while (!(s = ns.state(localPort, peerPort)).equals("GONE")) {
            if (System.nanoTime() > end) {
                throw new AssertionError("ss still shows the closer's side as " + s);
            }
            Thread.sleep(20);
        }
    }

    /** The segments from {@code port} carrying RST ({@code rst}) or FIN. */
    public static List<Segment> from(List<Segment> segs, int port, boolean rst) {
        return segs.stream().filter(s -> s.srcPort() == port && (rst ? s.rst() : s.fin())).collect(Collectors.toList());
    }

    /** Every RST segment. */
    public static List<Segment> rsts(List<Segment> segs) {
        return segs.stream().filter(Segment::rst).collect(Collectors.toList());
    }

    /** A segment's capture time in seconds. */
    public static double time(Segment s) {
        return Double.parseDouble(s.line().substring(0, s.line().indexOf(' ')));
    }

    /** The segments as printed by tcpdump, one per line, for assertion messages. */
    public static String dump(List<Segment> segs) {
        return segs.stream().map(Segment::line).collect(Collectors.joining("\n  ", "\n  ", ""));
    }
}
