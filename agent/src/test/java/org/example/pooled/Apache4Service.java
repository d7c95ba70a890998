package org.example.pooled;

import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

/** Apache HttpClient 4.5 with its pooling connection manager. */
public final class Apache4Service implements Service {
    private final CloseableHttpClient client = HttpClients.custom().setMaxConnPerRoute(10).setMaxConnTotal(10).build();
    private final String base;

    public Apache4Service(String base) {
        this.base = base;
    }

    @Override
    public String price() throws Exception {
        try (CloseableHttpResponse r = client.execute(new HttpGet(base + "/price"))) {
            return EntityUtils.toString(r.getEntity());
        }
    }

    @Override
    public int stockLevel() throws Exception {
        CloseableHttpResponse r = client.execute(new HttpGet(base + "/stock")); // LEAK: never consumed nor closed
        return r.getStatusLine().getStatusCode();
    }
}
