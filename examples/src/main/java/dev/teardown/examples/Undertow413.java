package dev.teardown.examples;

import dev.teardown.undertow.LingeringClose;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** {@link Http413} on Undertow 2.3: a plain server against {@code setHandler(LingeringClose.wrap(app))}. */
final class Undertow413 extends ServerHttp413 {
    @Override
    public String name() {
        return "undertow-413";
    }

    @Override
    public String summary() {
        return "Undertow 2.3 rejects curl's upload with 413: its own close sends RST; LingeringClose.wrap(app) delivers every response";
    }

    @Override
    String serverName() {
        return "an Undertow 2.3 server";
    }

    @Override
    String plainClose() {
        return "setHandler(app): Undertow sends FIN and closes a moment later with the upload unread";
    }

    @Override
    String teardownClose() {
        return "setHandler(LingeringClose.wrap(app))";
    }

    @Override
    Server start(boolean teardown) {
        Server[] self = new Server[1];
        HttpHandler app = exchange -> {
            if (!teardown) {
                self[0].closes.add("Undertow's own close");
            }
            exchange.setStatusCode(413);
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, BODY);
            exchange.getResponseSender().send(ByteBuffer.allocate(BODY)); // the upload is never read
        };
        HttpHandler root = app;
        if (teardown) {
            LingeringClose lc = LingeringClose.wrap(app);
            lc.setListener(o -> self[0].closes.add(describe(o)));
            root = lc;
        }
        Undertow server = Undertow.builder().setIoThreads(1).setWorkerThreads(2).addHttpListener(0, "127.0.0.1")
                .setHandler(root).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        self[0] = new Server(teardown) {
            @Override
            int port() {
                return port;
            }

            @Override
            public void close() {
                server.stop();
            }
        };
        return self[0];
    }
}
