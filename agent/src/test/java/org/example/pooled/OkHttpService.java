package org.example.pooled;

import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** OkHttp 4 with its default connection pool. */
public final class OkHttpService implements Service {
    private final OkHttpClient client = new OkHttpClient();
    private final String base;

    public OkHttpService(String base) {
        this.base = base;
    }

    @Override
    public String price() throws Exception {
        try (Response r = client.newCall(new Request.Builder().url(base + "/price").build()).execute()) {
            return r.body().string();
        }
    }

    @Override
    public int stockLevel() throws Exception {
        Response r = client.newCall(new Request.Builder().url(base + "/stock").build()).execute(); // LEAK: never closed
        return r.code();
    }
}
