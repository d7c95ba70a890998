package dev.teardown.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code doctor --serve ADDR:PORT}: answers {@code GET /metrics} with the report in Prometheus text (OpenMetrics when
 * the scraper's {@code Accept} asks for it), over the JDK's own HTTP server. The table is read at a scrape, not on a
 * timer, and at most once per {@code minInterval}: a scrape within it gets the last reading; a scrape that comes while
 * a reading runs waits for that reading instead of starting another. A reading that fails is answered with 500 and
 * the reason, and the next scrape tries again: the exporter never dies of one bad namespace or one bad scrape.
 */
final class Exporter implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService workers;
    private final Supplier<Object> read;
    private final long minIntervalNanos;
    private final boolean pidLabel;
    private final Object lock = new Object();
    private Object reading;
    private long readAt;
    private String cachedText;
    private String cachedOpenMetrics;

    /**
     * @param read returns a {@link Census} or a {@link Host.Reading}
     * @throws IOException when the address cannot be listened on, with a message naming it
     */
    Exporter(InetSocketAddress address, Supplier<Object> read, Duration minInterval, boolean pidLabel) throws IOException {
        this.read = read;
        this.minIntervalNanos = minInterval.toNanos();
        this.pidLabel = pidLabel;
        try {
            server = HttpServer.create(address, 16);
        } catch (BindException e) {
            throw new IOException("cannot listen on " + show(address) + ": " + e.getMessage()
                    + " (another exporter on that port? pick another with --serve ADDR:PORT)", e);
        }
        workers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "teardown-exporter");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.createContext("/metrics", this::metrics);
        server.createContext("/", this::index);
        server.start();
    }

    /** The address it listens on (the port the kernel chose for port 0). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    static String show(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        String host = ip == null ? a.getHostString() : ip.getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /**
     * "ADDR:PORT", "[IPv6]:PORT" or ":PORT" (every address).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static InetSocketAddress parse(String spec) {
        int colon = spec.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + spec + "' is not ADDR:PORT (e.g. 127.0.0.1:9464, [::1]:9464, :9464)");
        }
        String host = spec.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(spec.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + spec + "': the port must be 0-65535");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        if (!host.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("'" + spec + "': give a numeric address (no name lookups), e.g. 0.0.0.0");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new IllegalArgumentException("'" + spec + "': " + e.getMessage());
        }
    }

    private void index(HttpExchange x) throws IOException {
        byte[] body = ("teardown doctor exporter: GET /metrics\n").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        x.sendResponseHeaders(x.getRequestURI().getPath().equals("/") ? 200 : 404, body.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(body);
        }
    }

    private void metrics(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                x.sendResponseHeaders(405, -1);
                return;
            }
            boolean om = wantsOpenMetrics(x.getRequestHeaders().get("Accept"));
            String body;
            try {
                body = body(om);
            } catch (RuntimeException e) {
                byte[] msg = ("teardown doctor: the reading failed: " + e + "\n").getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                x.sendResponseHeaders(500, msg.length);
                x.getResponseBody().write(msg);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", om ? PrometheusReport.OPENMETRICS_TYPE : PrometheusReport.TEXT_TYPE);
            if (method.equals("HEAD")) {
                x.sendResponseHeaders(200, -1);
                return;
            }
            x.sendResponseHeaders(200, bytes.length);
            x.getResponseBody().write(bytes);
        }
    }

    static boolean wantsOpenMetrics(List<String> accept) {
        if (accept == null) {
            return false;
        }
        for (String a : accept) {
            if (a.contains("application/openmetrics-text")) {
                return true;
            }
        }
        return false;
    }

    /** The exposition of a reading no older than the floor; one reading at a time, shared by concurrent scrapes. */
    String body(boolean openMetrics) {
        synchronized (lock) {
            long now = System.nanoTime();
            if (reading == null || now - readAt >= minIntervalNanos) {
                Object r = read.get();
                reading = r;
                readAt = System.nanoTime();
                cachedText = null;
                cachedOpenMetrics = null;
            }
            if (openMetrics) {
                if (cachedOpenMetrics == null) {
                    cachedOpenMetrics = render(true);
                }
                return cachedOpenMetrics;
            }
            if (cachedText == null) {
                cachedText = render(false);
            }
            return cachedText;
        }
    }

    private String render(boolean openMetrics) {
        PrometheusReport.Options o = new PrometheusReport.Options(pidLabel, openMetrics);
        return reading instanceof Host.Reading h ? PrometheusReport.render(h, o) : PrometheusReport.render((Census) reading, o);
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
