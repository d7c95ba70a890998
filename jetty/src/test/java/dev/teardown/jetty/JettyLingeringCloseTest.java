package dev.teardown.jetty;

import dev.teardown.testing.LingeringServerContract;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** {@link LingeringClose} on a real Jetty 12 server: {@link LingeringServerContract}'s tests. */
class JettyLingeringCloseTest extends LingeringServerContract {
    private static final byte[] HELLO = "hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** 413 with a 4 MiB body to POST /reject (the upload never read), 200 "hello" to anything else. */
    static final class App extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (request.getHttpURI().getPath().equals("/reject")) {
                response.setStatus(413);
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, BODY);
                response.write(true, ByteBuffer.allocate(BODY), callback);
            } else {
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, HELLO.length);
                response.write(true, ByteBuffer.wrap(HELLO), callback);
            }
            return true;
        }
    }

    @Override
    protected Served start(Duration lingering) throws Exception {
        Server server = new Server(new QueuedThreadPool(16, 4));
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setPort(0);
        server.addConnector(connector);
        LingeringClose lc = lingering == null ? null : new LingeringClose(new App(), lingering, LingeringClose.DEFAULT_MAX_DRAIN_BYTES);
        if (lc != null) {
            lc.setListener(o -> outcome(o));
        }
        server.setHandler(lc == null ? new App() : lc);
        server.start();
        return Served.of(connector::getLocalPort, lc == null ? null : lc::closes, lc == null ? null : lc::leftToJetty,
                server::stop);
    }
}
