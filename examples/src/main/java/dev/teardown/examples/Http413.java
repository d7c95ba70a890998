package dev.teardown.examples;

import dev.teardown.CloseMode;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The 413 story, shared by {@link Jdk413} and {@link Netty413}: curl, a real client, uploads 20 MB to a server that
 * answers {@code 413} with a 4 MB body without reading the upload, then closes. A plain close with the upload
 * unread sends RST, and the kernel drops what curl had not yet received; teardown's graceful close sends FIN
 * after the whole response and drains the upload, so curl gets every byte. Observers: what curl reports, tcpdump
 * (RSTs from the server, as root; the captures are kept in {@link Runs}) and the timeline of the kernel's table.
 */
abstract class Http413 implements Scenario {
    static final int BODY = 4 << 20;
    static final long UPLOAD = 20L << 20;
    static final int GRACEFUL_TRIES = 5;
    /**
     * curl's rate cap: a client on a 16 Mbit/s link, so the response is still in the server's send buffer when the
     * server closes, as for any client not on loopback (on loopback curl drains 4 MB in a few ms and the RST only
     * sometimes catches it).
     */
    static final String CLIENT_RATE = "2M";
    /** The plain close's loss depends on timing (how much of the response is still unsent at the RST): at least
     * 5 tries, more until one is lost (20 at most), so that the scenario shows the loss rather than a lucky run. */
    static final int MIN_PLAIN_TRIES = 5;
    static final int MAX_PLAIN_TRIES = 20;
    /** Drains the whole upload if need be, as nginx's lingering close with generous limits. */
    static final CloseMode GRACEFUL = CloseMode.graceful(Duration.ofSeconds(10), 64L << 20);

    static final byte[] HEAD = ("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: " + BODY + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    /** A server for one close style; each connection's close is described in {@link #closes}. */
    abstract static class Server implements AutoCloseable {
        final BlockingQueue<String> closes = new LinkedBlockingQueue<>();
        final boolean teardown;

        Server(boolean teardown) {
            this.teardown = teardown;
        }

        abstract int port();
    }

    /** Starts the server; {@code teardown}: close with {@link #GRACEFUL} through teardown, else the plain close. */
    abstract Server start(boolean teardown) throws Exception;

    /** "JDK ServerSocketChannel", "Netty epoll"... */
    abstract String serverName();

    /** The plain close as the server's code says it, e.g. "channel.close()". */
    abstract String plainClose();

    /** teardown's close as the server's code says it. */
    abstract String teardownClose();

    /**
     * Whether the plain tries have shown the plain close's harm: a response cut short (the default), or for a server
     * scenario an RST from the server in the capture (the loss itself depends on timing).
     */
    boolean plainShown(int lost, int plainRsts) {
        return lost > 0;
    }

    /** The verdict's check of the plain tries. */
    void checkPlain(Verdict v, int lost, int plainTries, int plainRsts, boolean capture) {
        v.check(lost >= 1, "the plain close lost the response's tail at least once", lost + " of " + plainTries
                + " responses cut short");
    }

    /** What one curl run saw. */
    record Try(int status, long body, int exit, String error, int serverRsts) {
        boolean whole() {
            return exit == 0 && body == BODY;
        }
    }

    @Override
    public String unavailableReason() {
        return Tools.missing("curl");
    }

    @Override
    public Verdict run(Timeline t) throws Exception {
        Verdict v = new Verdict();
        boolean capture = Capture.unavailableReason() == null;
        t.say("curl --limit-rate " + CLIENT_RATE + " -H 'Expect:' --data-binary @" + (UPLOAD >> 20) + "MB-file: "
                + serverName() + " answers 413 with a " + BODY + "-byte body to a " + (UPLOAD >> 20)
                + " MB upload it never reads; observers: curl" + (capture ? ", tcpdump" : " (no tcpdump: "
                + Capture.unavailableReason() + ")")
                + " and the kernel's table");
        Path upload = Files.createTempFile("teardown-upload-", ".bin");
        try {
            try (RandomAccessFile f = new RandomAccessFile(upload.toFile(), "rw")) {
                f.setLength(UPLOAD);
            }
            int lost = 0;
            int plainTries = 0;
            int plainRsts = 0;
            try (Server s = start(false)) {
                t.say("--- plain close: " + plainClose());
                while (plainTries < MAX_PLAIN_TRIES && (plainTries < MIN_PLAIN_TRIES || !plainShown(lost, plainRsts))) {
                    Try r = attempt(t, s, upload, ++plainTries, capture);
                    lost += r.whole() ? 0 : 1;
                    plainRsts += Math.max(0, r.serverRsts);
                }
            }
            int whole = 0;
            int gracefulRsts = 0;
            try (Server s = start(true)) {
                t.say("--- teardown: " + teardownClose());
                for (int i = 1; i <= GRACEFUL_TRIES; i++) {
                    Try r = attempt(t, s, upload, i, capture);
                    whole += r.whole() ? 1 : 0;
                    gracefulRsts += Math.max(0, r.serverRsts);
                }
            }
            checkPlain(v, lost, plainTries, plainRsts, capture);
            v.check(whole == GRACEFUL_TRIES, "teardown's graceful close delivered every response whole",
                    whole + " of " + GRACEFUL_TRIES);
            if (capture) {
                v.check(gracefulRsts == 0, "tcpdump: no RST from the server with graceful", gracefulRsts + " RSTs");
            }
        } finally {
            Files.deleteIfExists(upload);
        }
        return v;
    }

    private Try attempt(Timeline t, Server s, Path upload, int n, boolean capture) throws Exception {
        t.watch(s.port());
        Path pcap = Runs.file(name(), (s.teardown ? "graceful" : "plain") + "-" + n + ".pcap");
        Capture cap = capture ? Capture.start(s.port(), pcap) : null;
        Process p = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                "-H", "Expect:", "--limit-rate", CLIENT_RATE, "--max-time", "30", "--data-binary", "@" + upload,
                "http://127.0.0.1:" + s.port() + "/upload").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int exit = p.waitFor();
        String close = s.closes.poll(15, TimeUnit.SECONDS);
        int rsts = cap == null ? -1 : (int) cap.stop().stream().filter(pk -> pk.srcPort() == s.port() && pk.rst()).count();
        String[] f = out.split(" ");
        int status = f.length > 0 && !f[0].isEmpty() ? Integer.parseInt(f[0]) : 0;
        long body = f.length > 1 ? Long.parseLong(f[1]) : 0;
        Try r = new Try(status, body, exit, err, rsts);
        t.say(String.format("try %d: curl got HTTP %d and %,d of %,d body bytes, exit %d%s%s", n, status, body, BODY, exit,
                err.isEmpty() ? "" : " (" + err + ")", rsts < 0 ? "" : "; tcpdump: " + rsts + " RST from the server"));
        t.say("       server: " + (close == null ? "(no close reported)" : close));
        return r;
    }
}
