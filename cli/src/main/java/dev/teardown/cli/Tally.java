package dev.teardown.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts by key with a cap on distinct keys, so memory stays bounded whatever the table holds: once
 * {@code cap} keys exist, new keys are counted under {@link #overflow()}.
 */
final class Tally<K> {
    private final Map<K, long[]> counts = new HashMap<>();
    private final int cap;
    private long overflow;

    Tally(int cap) {
        this.cap = cap;
    }

    void add(K key) {
        long[] c = counts.get(key);
        if (c == null) {
            if (counts.size() >= cap) {
                overflow++;
                return;
            }
            counts.put(key, new long[] {1});
            return;
        }
        c[0]++;
    }

    /** Counted under keys that did not fit. */
    long overflow() {
        return overflow;
    }

    /** Up to {@code n} keys with the highest counts, highest first. */
    List<Map.Entry<K, Long>> top(int n) {
        List<Map.Entry<K, Long>> all = new ArrayList<>();
        for (Map.Entry<K, long[]> e : counts.entrySet()) {
            all.add(Map.entry(e.getKey(), e.getValue()[0]));
        }
        all.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        return all.size() > n ? all.subList(0, n) : all;
    }

    int distinct() {
        return counts.size();
    }
}
