package dev.teardown.undertow;

import dev.teardown.testing.LingeringServerContract;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;

/** {@link LingeringClose} on a real Undertow 2.3 server: {@link LingeringServerContract}'s tests. */
class UndertowLingeringCloseTest extends LingeringServerContract {
    /** 413 with a 4 MiB body to POST /reject (the upload never read), 200 "hello" to anything else. */
    private static final HttpHandler APP = exchange -> {
        if (exchange.getRequestPath().equals("/reject")) {
            exchange.setStatusCode(413);
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, BODY);
            exchange.getResponseSender().send(ByteBuffer.allocate(BODY));
        } else {
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, 6);
            exchange.getResponseSender().send("hello\n");
        }
    };

    @Override
    protected Served start(Duration lingering) throws Exception {
        LingeringClose lc = lingering == null ? null : LingeringClose.wrap(APP, lingering, LingeringClose.DEFAULT_MAX_DRAIN_BYTES);
        if (lc != null) {
            lc.setListener(LingeringServerContract::outcome);
        }
        Undertow server = Undertow.builder().setIoThreads(1).setWorkerThreads(4).addHttpListener(0, "0.0.0.0")
                .setHandler(lc == null ? APP : lc).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        return Served.of(() -> port, lc == null ? null : lc::closes, lc == null ? null : lc::leftToUndertow, server::stop);
    }
}
