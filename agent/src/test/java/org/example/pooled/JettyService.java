package org.example.pooled;

import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;

/**
 * Jetty 12's {@code HttpClient} with its default (duplex) connection pool. Jetty's idle timeout closes a connection
 * that has been silent that long, leaked or idle: it is raised to two minutes (as services do;
 * {@code -Djetty.idleTimeout=MS} sets it), so that Jetty does not end the leak while a test looks at it.
 */
public final class JettyService implements Service {
    private final HttpClient client = new HttpClient();
    private final String base;

    public JettyService(String base) throws Exception {
        this.base = base;
        client.setIdleTimeout(Long.getLong("jetty.idleTimeout", 120_000));
        client.start();
    }

    @Override
    public String price() throws Exception {
        return client.GET(base + "/price").getContentAsString();
    }

    @Override
    public int stockLevel() throws Exception {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        client.newRequest(base + "/stock").send(listener); // LEAK: its InputStream is never read nor closed
        Response r = listener.get(30, TimeUnit.SECONDS);
        return r.getStatus();
    }
}
