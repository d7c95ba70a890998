package dev.teardown.agent.report;

import dev.teardown.agent.rt.Site;
import dev.teardown.agent.rt.SocketRecord;

/**
 * The HTTP clients a report knows by name: which one a socket belongs to (its pool, as the agent saw it lease the
 * socket, or the frames that opened it), and the advice for each: the call that consumes or closes a response, and
 * the setting that evicts idle pooled connections.
 */
enum Clients {
    APACHE4("Apache HttpClient 4.5",
            "EntityUtils.consume(response.getEntity()), or close its CloseableHttpResponse (try-with-resources),"
                    + " or pass a ResponseHandler to execute()",
            "HttpClientBuilder.evictIdleConnections(1, TimeUnit.MINUTES) (or evictExpiredConnections()) closes them"),
    APACHE5("Apache HttpClient 5",
            "EntityUtils.consume(response.getEntity()), or close its ClassicHttpResponse (try-with-resources), or use"
                    + " execute(request, responseHandler)",
            "HttpClientBuilder.evictIdleConnections(TimeValue.ofMinutes(1)) (or evictExpiredConnections()) closes them"),
    OKHTTP("OkHttp",
            "response.close() (try-with-resources, or use {} in Kotlin), or read the body to its end",
            "OkHttp evicts them after its ConnectionPool's keep-alive (5 minutes by default): give"
                    + " OkHttpClient.Builder.connectionPool(new ConnectionPool(5, 30, TimeUnit.SECONDS)) to close them sooner"),
    JDK("JDK HttpClient",
            "read the body to its end or close it: with BodyHandlers.ofInputStream(), close the InputStream"
                    + " (try-with-resources); or use BodyHandlers.ofString() or discarding()",
            "-Djdk.httpclient.keepalive.timeout=SECONDS bounds how long they stay"),
    JETTY("Jetty HttpClient",
            "read its content to the end or close it: with an InputStreamResponseListener, close"
                    + " listener.getInputStream() (try-with-resources) or read it to EOF; or use send()/GET() for a"
                    + " ContentResponse, or a BufferingResponseListener",
            "HttpClient.setIdleTimeout(ms) closes idle pooled connections (a leaked connection too, once it has been"
                    + " silent that long)"),
    REACTOR_NETTY("Reactor Netty",
            "subscribe to its body (response.receive().aggregate(), or receive().then() to drop it), or use"
                    + " responseSingle() or responseContent(), which release the connection when the body ends",
            "ConnectionProvider.builder(name).maxIdleTime(Duration.ofSeconds(20)) (with evictInBackground) closes"
                    + " them");

    final String label;
    final String consume;
    final String evict;

    Clients(String label, String consume, String evict) {
        this.label = label;
        this.consume = consume;
        this.evict = evict;
    }

    /** The client of a socket: the pool that lent it, else one recognised in its sites' frames; null otherwise. */
    static Clients of(SocketRecord r) {
        if (r == null) {
            return null;
        }
        if (r.pool() != null) {
            for (Clients c : values()) {
                if (c.label.equals(r.pool().clientName())) {
                    return c;
                }
            }
        }
        Clients c = ofFrames(r.lastUseSite());
        return c != null ? c : ofFrames(r.site());
    }

    private static Clients ofFrames(Site site) {
        if (site == null) {
            return null;
        }
        StackTraceElement call = site.libraryCall();
        String first = call != null ? call.getClassName() : "";
        for (StackTraceElement f : site.frames()) {
            first = first.isEmpty() ? f.getClassName() : first;
        }
        if (first.startsWith("org.apache.http.")) {
            return APACHE4;
        }
        if (first.startsWith("org.apache.hc.client5.")) {
            return APACHE5;
        }
        if (first.startsWith("okhttp3.")) {
            return OKHTTP;
        }
        if (first.startsWith("java.net.http.") || first.startsWith("jdk.internal.net.http.")) {
            return JDK;
        }
        if (first.startsWith("org.eclipse.jetty.client.")) {
            return JETTY;
        }
        if (first.startsWith("reactor.netty.")) {
            return REACTOR_NETTY;
        }
        return null;
    }
}
