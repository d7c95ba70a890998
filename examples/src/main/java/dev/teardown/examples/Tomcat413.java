package dev.teardown.examples;

import dev.teardown.tomcat.LingeringHttp11NioProtocol;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * {@link Http413} on embedded Tomcat 11: the HTTP/1.1 NIO connector against
 * {@code protocol="dev.teardown.tomcat.LingeringHttp11NioProtocol"}. Tomcat swallows up to maxSwallowSize (2 MiB)
 * before its close; curl stops sending at the early 413, so here the plain close usually finds nothing unread:
 * the scenario shows that, and the integration's close waiting for curl's FIN.
 */
final class Tomcat413 extends ServerHttp413 {
    @Override
    public String name() {
        return "tomcat-413";
    }

    @Override
    public String summary() {
        return "Tomcat 11 rejects curl's upload with 413: its swallow, then LingeringHttp11NioProtocol's close waiting for curl's FIN";
    }

    @Override
    String serverName() {
        return "an embedded Tomcat 11 server";
    }

    @Override
    String plainClose() {
        return "protocol=\"HTTP/1.1\": Tomcat swallows up to maxSwallowSize (2 MiB), then closes without waiting for the client's FIN";
    }

    @Override
    String teardownClose() {
        return "protocol=\"dev.teardown.tomcat.LingeringHttp11NioProtocol\"";
    }

    /** Tomcat's swallow usually leaves curl's connection nothing unread: five plain tries, whatever they show. */
    @Override
    boolean plainShown(int lost, int plainRsts) {
        return true;
    }

    @Override
    void checkPlain(Verdict v, int lost, int plainTries, int plainRsts, boolean capture) {
        // not a check: whether Tomcat's swallow covers what curl still sends depends on the link; the tests use a client
        // that keeps sending to show Tomcat's RST (LingeringServerContract.thePlainServerSendsRst)
        System.out.println("  plain Tomcat: " + plainRsts + " RSTs from the server, " + lost + " of " + plainTries
                + " responses cut short (curl stops sending at the 413, and Tomcat swallowed the rest)");
    }

    @Override
    Server start(boolean teardown) throws Exception {
        Path base = Files.createTempDirectory("teardown-tomcat-");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        Connector connector = new Connector(teardown ? LingeringHttp11NioProtocol.class.getName() : "HTTP/1.1");
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);
        Server s = new Server(teardown) {
            @Override
            int port() {
                return connector.getLocalPort();
            }

            @Override
            public void close() throws Exception {
                tomcat.stop();
                tomcat.destroy();
                try (var files = Files.walk(base)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        };
        if (teardown) {
            ((LingeringHttp11NioProtocol) connector.getProtocolHandler()).setListener(o -> s.closes.add(describe(o)));
        }
        Context ctx = tomcat.addContext("", base.toString());
        Tomcat.addServlet(ctx, "reject", new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                if (!teardown) {
                    s.closes.add("Tomcat's own close (after its swallow)");
                }
                resp.setStatus(413);
                resp.setContentLength(BODY);
                resp.getOutputStream().write(new byte[BODY]); // the upload is never read
            }
        });
        ctx.addServletMappingDecoded("/*", "reject");
        tomcat.start();
        return s;
    }
}
