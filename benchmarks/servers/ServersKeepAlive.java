import dev.teardown.jetty.LingeringClose;
import dev.teardown.tomcat.LingeringHttp11NioProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keep-alive GET requests per second through a server without and with teardown's integration (issue 23's target:
 * with/without >= 0.98). One JVM runs both servers (same JIT, GC and CPU: run it pinned, see servers-bench.sh); wrk,
 * pinned to its own CPU, drives them in alternating windows, the order swapped every pair, so that the machine's
 * drift cancels within each pair. Prints every window, each pair's ratio, and the medians; and the server JVM's CPU
 * time per request in each window (only one server is loaded at a time), which a busy machine disturbs far less
 * than throughput: its paired ratio (plain / with) is the throughput the CPU alone would allow.
 *
 * <p>Usage: java -cp examples/target/teardown-examples.jar ServersKeepAlive.java jetty|tomcat|undertow
 * [pairs=8] [seconds=5] [connections=16] [wrkCpu=0]
 */
public final class ServersKeepAlive {
    private static final byte[] HELLO = "hello\n".getBytes(StandardCharsets.US_ASCII);

    interface Running extends AutoCloseable {
        int port();
    }

    public static void main(String[] args) throws Exception {
        String server = args.length > 0 ? args[0] : "jetty";
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int conns = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        String wrkCpu = args.length > 4 ? args[4] : "0";
        try (Running plain = start(server, false); Running with = start(server, true)) {
            System.out.printf("%s: plain on %d, with teardown's integration on %d; wrk -t1 -c%d -d%ds pinned to CPU %s%n",
                    server, plain.port(), with.port(), conns, seconds, wrkCpu);
            for (int i = 0; i < 2; i++) { // warm-up: both servers JIT-compiled before any window counts
                wrk(plain.port(), conns, seconds, wrkCpu);
                wrk(with.port(), conns, seconds, wrkCpu);
            }
            double[] ratios = new double[pairs];
            double[] cpuRatios = new double[pairs];
            double[] p = new double[pairs];
            double[] w = new double[pairs];
            double[] pc = new double[pairs];
            double[] wc = new double[pairs];
            for (int i = 0; i < pairs; i++) {
                double[] a;
                double[] b;
                if (i % 2 == 0) {
                    a = window(plain.port(), conns, seconds, wrkCpu);
                    b = window(with.port(), conns, seconds, wrkCpu);
                } else {
                    b = window(with.port(), conns, seconds, wrkCpu);
                    a = window(plain.port(), conns, seconds, wrkCpu);
                }
                p[i] = a[0];
                pc[i] = a[1];
                w[i] = b[0];
                wc[i] = b[1];
                ratios[i] = w[i] / p[i];
                cpuRatios[i] = pc[i] / wc[i];
                System.out.printf(Locale.ROOT, "pair %d (%s first): plain %.0f req/s %.2f us CPU/req, with %.0f req/s %.2f us"
                        + " CPU/req; ratio %.4f, CPU ratio %.4f%n", i + 1, i % 2 == 0 ? "plain" : "with", p[i], pc[i], w[i],
                        wc[i], ratios[i], cpuRatios[i]);
            }
            System.out.printf(Locale.ROOT, "%s: median plain %.0f req/s, median with %.0f req/s, median paired ratio %.4f"
                    + " (min %.4f, max %.4f); CPU per request: median plain %.2f us, with %.2f us, median paired ratio"
                    + " (plain/with) %.4f (min %.4f, max %.4f)%n", server, median(p), median(w), median(ratios),
                    Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0), median(pc), median(wc),
                    median(cpuRatios), Arrays.stream(cpuRatios).min().orElse(0), Arrays.stream(cpuRatios).max().orElse(0));
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("([0-9]+) requests in");
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static long lastTotal;

    /** One wrk window: {req/s, this JVM's CPU microseconds per request}. */
    private static double[] window(int port, int conns, int seconds, String cpu) throws IOException, InterruptedException {
        long before = OS.getProcessCpuTime();
        double rps = wrk(port, conns, seconds, cpu);
        long cpuNanos = OS.getProcessCpuTime() - before;
        return new double[] {rps, cpuNanos / 1000.0 / Math.max(1, lastTotal)};
    }

    private static double wrk(int port, int conns, int seconds, String cpu) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("taskset", "-c", cpu, "wrk", "-t1", "-c" + conns, "-d" + seconds + "s",
                "http://127.0.0.1:" + port + "/hello").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher m = RPS.matcher(out);
        Matcher t = TOTAL.matcher(out);
        if (!m.find() || !t.find() || out.contains("Non-2xx")) {
            throw new IllegalStateException("wrk on port " + port + ": " + out);
        }
        int errors = out.indexOf("Socket errors");
        if (errors >= 0) { // a request over wrk's 2 s timeout (the machine stalled): said, and the window still counts
            System.out.println("  wrk on port " + port + ": " + out.substring(errors, out.indexOf('\n', errors)).trim());
        }
        lastTotal = Long.parseLong(t.group(1));
        return Double.parseDouble(m.group(1));
    }

    private static Running start(String server, boolean lingering) throws Exception {
        switch (server) {
            case "jetty":
                return jetty(lingering);
            case "tomcat":
                return tomcat(lingering);
            case "undertow":
                return undertow(lingering);
            default:
                throw new IllegalArgumentException("server: jetty, tomcat or undertow, not " + server);
        }
    }

    private static Running jetty(boolean lingering) throws Exception {
        org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
        org.eclipse.jetty.server.ServerConnector c = new org.eclipse.jetty.server.ServerConnector(server, 1, 1);
        c.setHost("127.0.0.1");
        server.addConnector(c);
        org.eclipse.jetty.server.Handler app = new org.eclipse.jetty.server.Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                    org.eclipse.jetty.util.Callback callback) {
                response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH, HELLO.length);
                response.write(true, ByteBuffer.wrap(HELLO), callback);
                return true;
            }
        };
        server.setHandler(lingering ? new LingeringClose(app) : app);
        server.start();
        return new Running() {
            public int port() {
                return c.getLocalPort();
            }

            public void close() throws Exception {
                server.stop();
            }
        };
    }

    private static Running tomcat(boolean lingering) throws Exception {
        Path base = Files.createTempDirectory("teardown-bench-tomcat-");
        org.apache.catalina.startup.Tomcat tomcat = new org.apache.catalina.startup.Tomcat();
        tomcat.setBaseDir(base.toString());
        org.apache.catalina.connector.Connector c = new org.apache.catalina.connector.Connector(
                lingering ? LingeringHttp11NioProtocol.class.getName() : "HTTP/1.1");
        c.setPort(0);
        c.setProperty("address", "127.0.0.1");
        c.setProperty("maxKeepAliveRequests", "-1"); // wrk's connections live for the whole window
        tomcat.getService().addConnector(c);
        tomcat.setConnector(c);
        org.apache.catalina.Context ctx = tomcat.addContext("", base.toString());
        org.apache.catalina.startup.Tomcat.addServlet(ctx, "hello", new jakarta.servlet.http.HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void service(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
                    throws IOException {
                resp.setContentLength(HELLO.length);
                resp.getOutputStream().write(HELLO);
            }
        });
        ctx.addServletMappingDecoded("/*", "hello");
        tomcat.start();
        return new Running() {
            public int port() {
                return c.getLocalPort();
            }

            public void close() throws Exception {
                tomcat.stop();
                tomcat.destroy();
            }
        };
    }

    private static Running undertow(boolean lingering) {
        io.undertow.server.HttpHandler app = exchange -> {
            exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_LENGTH, HELLO.length);
            exchange.getResponseSender().send(ByteBuffer.wrap(HELLO));
        };
        io.undertow.Undertow server = io.undertow.Undertow.builder().setIoThreads(1).setWorkerThreads(4)
                .addHttpListener(0, "127.0.0.1").setHandler(lingering ? dev.teardown.undertow.LingeringClose.wrap(app) : app)
                .build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        return new Running() {
            public int port() {
                return port;
            }

            public void close() {
                server.stop();
            }
        };
    }
}
