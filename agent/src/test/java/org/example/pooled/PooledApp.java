package org.example.pooled;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Not teardown-based: a service with one shared pooled HTTP client ({@code apache4}, {@code apache5}, {@code okhttp},
 * {@code jdk}, {@code jetty} or {@code reactor}) against its own keep-alive server (Python, a child process, idle timeout as given; over TLS with a
 * third argument {@code https}, its self-signed certificate trusted through {@code javax.net.ssl.trustStore}). Prints
 * {@code ready}, then runs commands from its standard input, each answered by {@code done}: {@code price N} makes N
 * concurrent correct calls (the server answers them together, so that each has a connection of its own), {@code stock N} N leaking calls one after the other, {@code close} has the server close
 * every connection at once (as its idle timeout would).
 */
public final class PooledApp {
    private static final List<Object> HELD = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Path script = Path.of(PooledApp.class.getResource("keepalive_server.py").toURI());
        List<String> serverCmd = new ArrayList<>(List.of("python3", script.toString(), args[1]));
        boolean https = args.length > 2 && args[2].equals("https");
        if (https) {
            serverCmd.addAll(Tls.serverCertificate());
        }
        Process server = new ProcessBuilder(serverCmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String first = serverOut.readLine();
        if (first == null || !first.startsWith("port ")) {
            throw new IllegalStateException("the server did not start: " + first);
        }
        int port = Integer.parseInt(first.substring(5).trim());
        String base = (https ? "https" : "http") + "://127.0.0.1:" + port;
        Service service = switch (args[0]) {
            case "apache4" -> new Apache4Service(base);
            case "apache5" -> new Apache5Service(base);
            case "okhttp" -> new OkHttpService(base);
            case "jdk" -> new JdkService(base);
            case "jetty" -> new JettyService(base);
            case "reactor" -> new ReactorNettyService(base);
            default -> throw new IllegalArgumentException("unknown client " + args[0]);
        };
        HELD.add(server);
        ExecutorService pool = Executors.newCachedThreadPool();
        System.out.println("ready " + port);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] cmd = line.trim().split(" ");
            if (cmd[0].equals("close")) {
                server.getOutputStream().write("close\n".getBytes(StandardCharsets.UTF_8));
                server.getOutputStream().flush();
                if (!"closed".equals(serverOut.readLine())) {
                    throw new IllegalStateException("the server did not close its connections");
                }
                System.out.println("done");
                continue;
            }
            int n = Integer.parseInt(cmd[1]);
            if (cmd[0].equals("price")) {
                server.getOutputStream().write(("expect " + n + "\n").getBytes(StandardCharsets.UTF_8));
                server.getOutputStream().flush();
                if (!"ok".equals(serverOut.readLine())) {
                    throw new IllegalStateException("the server did not take: expect " + n);
                }
                List<Future<String>> calls = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    calls.add(pool.submit(service::price));
                }
                for (Future<String> f : calls) {
                    f.get();
                }
            } else {
                for (int i = 0; i < n; i++) {
                    service.stockLevel();
                }
            }
            System.out.println("done");
        }
        server.destroyForcibly();
        System.exit(0); // a client's non-daemon threads (Jetty's) would keep the JVM alive
    }
}
