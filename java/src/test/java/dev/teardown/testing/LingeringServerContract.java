package dev.teardown.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Capture.Segment;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tests every server integration of teardown's lingering close passes (teardown-jetty, -tomcat, -undertow):
 * a subclass starts its server plain or with the integration; the server lives in one private namespace of a
 * {@link NetLab}, the clients (curl, a raw socket) in the other, tcpdump watches the server's link. Each server
 * answers {@code POST /reject} with 413 and a {@value #BODY}-byte body without reading the request, and
 * {@code GET /hello} with a small 200.
 */
@Timeout(120)
public abstract class LingeringServerContract {
    public static final int BODY = 4 << 20;
    public static final long UPLOAD = 20L << 20;
    static final int TRIES = 10;
    /**
     * {@code -Dteardown.servers.measure=N}: the 413 tests run N curl uploads each, the plain one all N whatever it sees,
     * for the README's before/after table (the tests' assertions unchanged); unset, the plain test stops at its
     * first RST.
     */
    static final int MEASURE = Integer.getInteger("teardown.servers.measure", 0);

    protected static NetLab lab;
    private static Path upload;

    /** A running server. */
    public interface Served extends AutoCloseable {
        int port();

        /** Connections the integration ended with teardown's close (0 for a plain server). */
        long lingeringCloses();

        /** Connections that ended but were left to the server's own close. */
        long leftToServer();

        /** A server from its port, its integration's two counts (null for a plain server) and how it stops. */
        static Served of(java.util.function.IntSupplier port, java.util.function.LongSupplier closes,
                java.util.function.LongSupplier left, AutoCloseable stop) {
            return new Served() {
                @Override
                public int port() {
                    return port.getAsInt();
                }

                @Override
                public long lingeringCloses() {
                    return closes == null ? 0 : closes.getAsLong();
                }

                @Override
                public long leftToServer() {
                    return left == null ? 0 : left.getAsLong();
                }

                @Override
                public void close() throws Exception {
                    stop.close();
                }
            };
        }
    }

    /** Subclasses pass every outcome of the integration here: printed when it is not a clean FIN close. */
    protected static void outcome(dev.teardown.CloseOutcome o) {
        if (o.rstSent() || o.wasAlreadyClosed() || System.getenv("TD_ALL") != null) {
            System.out.println("outcome: " + o);
        }
    }

    /** Waits up to 5 s for {@code count} to reach {@code want} (the count follows the close's completion). */
    protected static long await(java.util.function.LongSupplier count, long want) {
        long end = System.nanoTime() + 5_000_000_000L;
        long n;
        while ((n = count.getAsLong()) != want && System.nanoTime() < end) {
            Kernel.sleep(10);
        }
        return n;
    }

    /** How long the server itself waits for a stalled request body before it closes (Tomcat's swallow); 0 for none. */
    protected Duration stalledBodyTimeout() {
        return Duration.ZERO;
    }

    /**
     * Starts the server on 0.0.0.0, an ephemeral port, in the calling thread's network namespace; with the
     * integration when {@code lingering} is non-null (its lingering time), else plain.
     */
    protected abstract Served start(Duration lingering) throws Exception;

    @BeforeAll
    static void lab() throws Exception {
        Requirements.requireCommand("curl");
        Requirements.requireCommand("tcpdump");
        lab = NetLab.create();
        upload = Files.createTempFile("teardown-upload-", ".bin");
        try (RandomAccessFile f = new RandomAccessFile(upload.toFile(), "rw")) {
            f.setLength(UPLOAD);
        }
    }

    @AfterAll
    static void closeLab() throws IOException {
        if (lab != null) {
            lab.close();
        }
        if (upload != null) {
            Files.deleteIfExists(upload);
        }
    }

    private Served serve(Duration lingering) throws Exception {
        return lab.a().call(() -> start(lingering));
    }

    /** What one curl upload saw, and the server's RSTs in its capture. */
    public record Try(int status, long body, int exit, String error, long serverRsts) {
        boolean whole() {
            return exit == 0 && status == 413 && body == BODY;
        }

        @Override
        public String toString() {
            return "HTTP " + status + ", " + body + " of " + BODY + " body bytes, curl exit " + exit
                    + (error.isEmpty() ? "" : " (" + error + ")") + ", " + serverRsts + " RST from the server";
        }
    }

    /** curl -H 'Expect:' uploads 20 MB to /reject from the client namespace; tcpdump counts the server's RSTs. */
    protected Try curlUpload(int port) throws Exception {
        List<Segment> seen;
        String out;
        String err;
        int exit;
        try (Capture cap = Capture.start(lab.a().name(), lab.linkA(), port)) {
            Process p = new ProcessBuilder("ip", "netns", "exec", lab.b().name(), "curl", "-sS", "-o", "/dev/null",
                    "-w", "%{http_code} %{size_download}", "-H", "Expect:", "--max-time", "30",
                    "--data-binary", "@" + upload, "http://" + NetLab.A.getHostAddress() + ":" + port + "/reject").start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            exit = p.waitFor();
            Kernel.sleep(200); // the server's last segments (its FIN, an RST) after curl's exit
            seen = cap.stop();
        }
        String[] f = out.split(" ");
        int status = f.length > 0 && !f[0].isEmpty() ? Integer.parseInt(f[0]) : 0;
        long body = f.length > 1 ? Long.parseLong(f[1]) : 0;
        long rsts = seen.stream().filter(s -> s.srcPort() == port && s.rst()).count();
        if (rsts > 0) {
            System.out.println("RST from the server; the capture's last segments:\n"
                    + WireChecks.dump(seen.subList(Math.max(0, seen.size() - 12), seen.size())));
        }
        return new Try(status, body, exit, err, rsts);
    }

    /**
     * A client that sends its whole 20 MB upload whatever the server answers (as many HTTP clients do, unlike curl,
     * which stops sending at an early error status) while it reads the response.
     */
    protected Try uploadAll(int port) throws Exception {
        SocketChannel c = lab.b().call(() -> SocketChannel.open(new InetSocketAddress(NetLab.A, port)));
        List<Segment> seen;
        long body = 0;
        String error = "";
        try (c; Capture cap = Capture.start(lab.a().name(), lab.linkA(), port)) {
            c.write(ByteBuffer.wrap(("POST /reject HTTP/1.1\r\nHost: a\r\nContent-Length: " + UPLOAD + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            Thread sender = new Thread(() -> {
                ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
                try {
                    for (long sent = 0; sent < UPLOAD; sent += chunk.capacity()) {
                        chunk.clear();
                        while (chunk.hasRemaining()) {
                            c.write(chunk);
                        }
                    }
                } catch (IOException ended) {
                    // the server reset the connection, or closed it
                }
            }, "uploader");
            sender.start();
            try {
                body = readResponse(c);
            } catch (IOException e) {
                error = e.toString();
            }
            sender.join(30_000);
            Kernel.sleep(200);
            seen = cap.stop();
        }
        long rsts = seen.stream().filter(s -> s.srcPort() == port && s.rst()).count();
        return new Try(413, body, error.isEmpty() && body == BODY ? 0 : 1, error, rsts);
    }

    @Test
    void anUploaderThatSendsEverythingGetsTheWholeResponseWithoutRst() throws Exception {
        try (Served s = serve(Duration.ofSeconds(10))) {
            Try t = uploadAll(s.port());
            System.out.println(getClass().getSimpleName() + " with the integration, whole upload sent: " + t);
            assertTrue(t.whole(), t.toString());
            assertEquals(0, t.serverRsts(), t.toString());
        }
    }

    @Test
    void everyRejectedUploadArrivesWholeAndTheServerSendsNoRst() throws Exception {
        List<Try> tries = new ArrayList<>();
        try (Served s = serve(Duration.ofSeconds(10))) {
            for (int i = 0; i < Math.max(TRIES, MEASURE); i++) {
                tries.add(curlUpload(s.port()));
            }
            System.out.println(getClass().getSimpleName() + " with the integration: " + tries);
            long whole = tries.stream().filter(Try::whole).count();
            long rsts = tries.stream().mapToLong(Try::serverRsts).sum();
            assertEquals(tries.size(), whole, "whole responses: " + tries);
            assertEquals(0, rsts, "RSTs from the server: " + tries);
            assertEquals(tries.size(), await(s::lingeringCloses, tries.size()), "connections ended by teardown");
            assertEquals(0, s.leftToServer(), "connections left to the server's close");
        }
    }

    @Test
    void thePlainServerSendsRst() throws Exception {
        List<Try> tries = new ArrayList<>();
        try (Served s = serve(null)) {
            // the RST itself is certain (the upload is unread at the close); the loss it causes is timing-dependent
            while (tries.size() < Math.max(3, MEASURE) && (MEASURE > 0 || tries.stream().mapToLong(Try::serverRsts).sum() == 0)) {
                tries.add(curlUpload(s.port()));
            }
            // a server that swallows what curl sends after the early response (Tomcat) resets a client that goes on
            while (tries.size() < Math.max(3, MEASURE) + 3 && tries.stream().mapToLong(Try::serverRsts).sum() == 0) {
                tries.add(uploadAll(s.port()));
            }
        }
        System.out.println(getClass().getSimpleName() + " plain: " + tries);
        assertTrue(tries.stream().mapToLong(Try::serverRsts).sum() > 0, "the plain server sent no RST: " + tries);
    }

    @Test
    void aClientThatNeverClosesGetsFinThenRstAtTheDeadlineAndTheServerKeepsServing() throws Exception {
        Duration lingering = Duration.ofMillis(1500);
        try (Served s = serve(lingering)) {
            int port = s.port();
            SocketChannel client = lab.b().call(() -> SocketChannel.open(new InetSocketAddress(NetLab.A, port)));
            try (client; Capture cap = Capture.start(lab.a().name(), lab.linkA(), port)) {
                client.write(ByteBuffer.wrap(("POST /reject HTTP/1.1\r\nHost: a\r\nContent-Length: " + UPLOAD
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
                client.write(ByteBuffer.allocate(64 << 10));
                long got = readResponse(client);
                assertTrue(got >= BODY, "response bytes " + got);
                long finAt = System.nanoTime();
                // while this connection lingers, the server still answers others
                assertEquals("200", curlHello(port), "a GET while a connection lingers");
                // the client neither sends nor closes: the server's close resets it at the deadline
                Kernel.sleep(stalledBodyTimeout().toMillis() + lingering.toMillis() + 1000);
                List<Segment> seen = cap.stop();
                int fin = indexOf(seen, port, true);
                int rst = indexOf(seen, port, false);
                assertTrue(fin >= 0 && rst > fin, "FIN then RST from the server: " + WireChecks.dump(seen));
                assertTrue(System.nanoTime() - finAt < stalledBodyTimeout().toNanos() + lingering.toNanos() + 3_000_000_000L,
                        "ended near its deadline");
            }
            assertEquals("200", curlHello(port), "a GET after the reset");
            assertTrue(await(s::lingeringCloses, 1) >= 1, "connections ended by teardown"); // curl's GETs may be too
        }
    }

    @Test
    void keepAliveRequestsPassUntouched() throws Exception {
        try (Served s = serve(Duration.ofSeconds(10))) {
            int port = s.port();
            try (SocketChannel client = lab.b().call(() -> SocketChannel.open(new InetSocketAddress(NetLab.A, port)))) {
                for (int i = 0; i < 50; i++) { // below Tomcat's maxKeepAliveRequests (100)
                    // every other one a POST whose small body the handler never reads: the server drains it, keeps alive
                    client.write(ByteBuffer.wrap((i % 2 == 0 ? "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
                            : "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100))
                            .getBytes(StandardCharsets.US_ASCII)));
                    String head = readHead(client);
                    assertTrue(head.startsWith("HTTP/1.1 200"), head);
                }
                assertEquals(0, s.lingeringCloses(), "keep-alive exchanges must not be closed by teardown");
                assertEquals(0, s.leftToServer(), "nor counted as ended");
                assertEquals("ESTAB", lab.b().state(client.socket().getLocalPort(), port), "the connection stays open");
            }
        }
    }

    @Test
    void aThousandSequentialConnectionsLeakNoDescriptor() throws Exception {
        try (Served s = serve(Duration.ofSeconds(10))) {
            int port = s.port();
            for (int i = 0; i < 50; i++) { // warm the server's pools and threads
                closeRequest(port);
            }
            int before = Kernel.openFds();
            for (int i = 0; i < 1000; i++) {
                closeRequest(port);
            }
            assertEquals(1050, await(s::lingeringCloses, 1050), "connections ended by teardown");
            assertEquals(0, s.leftToServer(), "connections left to the server's own close");
            int after = Kernel.awaitOpenFds(before, 5000);
            // fewer is fine (a descriptor of the warm-up, such as an epoll instance, may have gone); more is a leak
            assertTrue(after <= before, "open descriptors: " + before + " before 1,000 connections, " + after + " after");
        }
    }

    /** GET /hello with Connection: close, read to EOF, close. */
    private static void closeRequest(int port) throws Exception {
        try (SocketChannel c = lab.b().call(() -> SocketChannel.open(new InetSocketAddress(NetLab.A, port)))) {
            c.write(ByteBuffer.wrap("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer b = ByteBuffer.allocate(8192);
            long n = 0;
            while (c.read(b) >= 0) {
                n += b.position();
                b.clear();
            }
            assertTrue(n > 0, "no response");
        }
    }

    private static String curlHello(int port) {
        return lab.b().run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                "http://" + NetLab.A.getHostAddress() + ":" + port + "/hello").trim();
    }

    /** Reads a response with a Content-Length body; returns the body bytes read. */
    private static long readResponse(SocketChannel c) throws IOException {
        String head = readHead(c);
        long len = contentLength(head);
        ByteBuffer b = ByteBuffer.allocate(64 << 10);
        long got = 0;
        while (got < len) {
            b.clear();
            int n = c.read(b);
            if (n < 0) {
                break;
            }
            got += n;
        }
        return got;
    }

    /** Reads up to the end of the response head one byte at a time (no body bytes consumed beyond it). */
    private static String readHead(SocketChannel c) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!sb.toString().endsWith("\r\n\r\n")) {
            one.clear();
            if (c.read(one) < 0) {
                throw new IOException("EOF in the response head: " + sb);
            }
            sb.append((char) one.get(0));
        }
        String head = sb.toString();
        long len = contentLength(head);
        if (len > 0 && len < 1 << 16) { // small bodies (GET /hello): consumed here
            ByteBuffer body = ByteBuffer.allocate((int) len);
            while (body.hasRemaining() && c.read(body) >= 0) {
                // read on
            }
        }
        return head;
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring(15).trim());
            }
        }
        return -1;
    }

    private static int indexOf(List<Segment> seen, int port, boolean fin) {
        for (int i = 0; i < seen.size(); i++) {
            Segment s = seen.get(i);
            if (s.srcPort() == port && (fin ? s.fin() : s.rst())) {
                return i;
            }
        }
        return -1;
    }
}
