package dev.teardown.tomcat;

import dev.teardown.testing.LingeringServerContract;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * {@link LingeringHttp11NioProtocol} on a real embedded Tomcat, named by class as server.xml names it:
 * {@link LingeringServerContract}'s tests.
 */
class TomcatLingeringCloseTest extends LingeringServerContract {
    /** 413 with a 4 MiB body to POST /reject (the upload never read), 200 "hello" to anything else. */
    static final class App extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            if (req.getRequestURI().equals("/reject")) {
                resp.setStatus(413);
                resp.setContentLength(BODY);
                resp.getOutputStream().write(new byte[BODY]);
            } else {
                resp.setContentLength(6);
                resp.getOutputStream().write("hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
    }

    @Override
    protected Duration stalledBodyTimeout() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected Served start(Duration lingering) throws Exception {
        Path base = Files.createTempDirectory("teardown-tomcat-");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        Connector connector = new Connector(lingering == null ? "HTTP/1.1" : LingeringHttp11NioProtocol.class.getName());
        connector.setPort(0);
        connector.setProperty("address", "0.0.0.0");
        connector.setProperty("connectionTimeout", "1000"); // a stalled body is given up after 1 s (default 20 s)
        LingeringHttp11NioProtocol lc = null;
        if (lingering != null) {
            connector.setProperty("lingeringTime", Long.toString(lingering.toMillis())); // as server.xml sets it
            lc = (LingeringHttp11NioProtocol) connector.getProtocolHandler();
            lc.setListener(LingeringServerContract::outcome);
        }
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);
        Context ctx = tomcat.addContext("", base.toString());
        Tomcat.addServlet(ctx, "app", new App());
        ctx.addServletMappingDecoded("/*", "app");
        tomcat.start();
        LingeringHttp11NioProtocol p = lc;
        return Served.of(connector::getLocalPort, p == null ? null : p::closes, p == null ? null : p::leftToTomcat, () -> {
            tomcat.stop();
            tomcat.destroy();
            try (var files = Files.walk(base)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        });
    }
}
