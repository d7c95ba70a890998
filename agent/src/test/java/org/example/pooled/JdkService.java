package org.example.pooled;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The JDK's {@code java.net.http.HttpClient}, HTTP/1.1; {@code stockLevel()} asks for a 1 MiB body it never reads. */
public final class JdkService implements Service {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String base;

    public JdkService(String base) {
        this.base = base;
    }

    @Override
    public String price() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + "/price")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public int stockLevel() throws Exception {
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create(base + "/big")).build(),
                HttpResponse.BodyHandlers.ofInputStream()); // LEAK: the body is never read nor closed
        return r.statusCode();
    }
}
