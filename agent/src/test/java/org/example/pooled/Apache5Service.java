package org.example.pooled;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/** Apache HttpClient 5 (classic) with its pooling connection manager. */
public final class Apache5Service implements Service {
    private final CloseableHttpClient client = HttpClients.custom().setConnectionManager(
            PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(10).setMaxConnTotal(10).build()).build();
    private final String base;

    public Apache5Service(String base) {
        this.base = base;
    }

    @Override
    public String price() throws Exception {
        try (ClassicHttpResponse r = client.executeOpen(null, new HttpGet(base + "/price"), null)) {
            return EntityUtils.toString(r.getEntity());
        }
    }

    @Override
    public int stockLevel() throws Exception {
        ClassicHttpResponse r = client.executeOpen(null, new HttpGet(base + "/stock"), null); // LEAK: never closed
        return r.getCode();
    }
}
