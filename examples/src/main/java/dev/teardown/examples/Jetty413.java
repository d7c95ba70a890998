package dev.teardown.examples;

import dev.teardown.jetty.LingeringClose;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/** {@link Http413} on Jetty 12: a plain server against {@code server.setHandler(new LingeringClose(app))}. */
final class Jetty413 extends ServerHttp413 {
    @Override
    public String name() {
        return "jetty-413";
    }

    @Override
    public String summary() {
        return "Jetty 12 rejects curl's upload with 413: its own close sends RST; new LingeringClose(app) delivers every response";
    }

    @Override
    String serverName() {
        return "a Jetty 12 server";
    }

    @Override
    String plainClose() {
        return "server.setHandler(app): Jetty shuts its output and closes with the upload unread";
    }

    @Override
    String teardownClose() {
        return "server.setHandler(new LingeringClose(app))";
    }

    @Override
    Server413 start(boolean teardown) throws Exception {
        org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        Server413 s = new Server413(teardown, server, connector);
        Handler app = new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if (!teardown) {
                    s.closes.add("Jetty's own close");
                }
                response.setStatus(413);
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, BODY);
                response.write(true, ByteBuffer.allocate(BODY), callback); // the upload is never read
                return true;
            }
        };
        if (teardown) {
            LingeringClose lc = new LingeringClose(app);
            lc.setListener(o -> s.closes.add(describe(o)));
            server.setHandler(lc);
        } else {
            server.setHandler(app);
        }
        server.start();
        return s;
    }

    private static final class Server413 extends Http413.Server {
        private final org.eclipse.jetty.server.Server server;
        private final ServerConnector connector;

        Server413(boolean teardown, org.eclipse.jetty.server.Server server, ServerConnector connector) {
            super(teardown);
            this.server = server;
            this.connector = connector;
        }

        @Override
        int port() {
            return connector.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }
}
