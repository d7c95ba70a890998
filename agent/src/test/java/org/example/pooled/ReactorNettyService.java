package org.example.pooled;

import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;

/**
 * Reactor Netty's {@code HttpClient} with a connection pool of its own; {@code stockLevel()} takes the response with
 * {@code responseConnection} (as Spring's {@code WebClient.exchange()} did) and never subscribes to its body. Reactor
 * Netty closes a connection when the server does, so the leak stays ESTABLISHED with the unread response, out of
 * the pool, for as long as the server keeps it open.
 */
public final class ReactorNettyService implements Service {
    private final HttpClient client = HttpClient.create(ConnectionProvider.builder("pooled").maxConnections(10).build());
    private final String base;

    public ReactorNettyService(String base) {
        this.base = base;
    }

    @Override
    public String price() {
        return client.get().uri(base + "/price").responseSingle((r, body) -> body.asString())
                .block(Duration.ofSeconds(30));
    }

    @Override
    public int stockLevel() {
        HttpClientResponse r = client.get().uri(base + "/stock")
                .responseConnection((response, connection) -> Mono.just(response)) // LEAK: the body is never consumed
                .blockFirst(Duration.ofSeconds(30));
        return r.status().code();
    }
}
