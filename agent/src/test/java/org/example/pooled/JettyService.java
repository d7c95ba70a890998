package org.example.pooled;

import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;

/**
 * Jetty 12's {@code HttpClient} with its default (duplex) connection pool; its idle timeout raised to two minutes,
 * as services do, so that Jetty does not close the leaked connection while a test looks at it.
 */
public final class JettyService implements Service {
    private final HttpClient client = new HttpClient();
    private final String base;

    public JettyService(String base) throws Exception {
        this.base = base;
        client.setIdleTimeout(120_000);
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
