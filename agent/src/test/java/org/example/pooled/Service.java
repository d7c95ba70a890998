package org.example.pooled;

/** A service with one shared pooled HTTP client: {@code price()} uses it correctly, {@code stockLevel()} does not. */
public interface Service {
    /** Reads a whole response and gives its connection back to the pool. */
    String price() throws Exception;

    /** Reads the status line only and drops the response: its connection never goes back to the pool. */
    int stockLevel() throws Exception;
}
