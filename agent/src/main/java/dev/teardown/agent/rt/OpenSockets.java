package dev.teardown.agent.rt;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The records of the open descriptors, indexed by descriptor number: pages of 1024 slots made on first use, so that
 * recording and dropping a socket is two array reads and one release store (a compare-and-set to drop), with no boxing, hashing or allocation
 * beyond the record. Numbers past the pages (only where {@code fs.nr_open} was raised above four million) go to a map.
 */
final class OpenSockets {
    private static final int PAGE_BITS = 10;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int PAGES = 1 << 12;

    private final AtomicReferenceArray<AtomicReferenceArray<SocketRecord>> pages = new AtomicReferenceArray<>(PAGES);
    private final Map<Integer, SocketRecord> beyond = new ConcurrentHashMap<>();

    /** Records {@code r} for its descriptor, replacing whatever was recorded for that number. */
    void put(SocketRecord r) {
        int fd = r.fd();
        int p = fd >>> PAGE_BITS;
        if (p >= PAGES) {
            beyond.put(fd, r);
            return;
        }
        AtomicReferenceArray<SocketRecord> page = pages.get(p);
        if (page == null) {
            pages.compareAndSet(p, null, new AtomicReferenceArray<>(PAGE));
            page = pages.get(p);
        }
        page.setRelease(fd & (PAGE - 1), r); // publishes the record's plain fields; no fence on the opening path
    }

    /** The record of descriptor {@code fd}, or null. */
    SocketRecord get(int fd) {
        if (fd < 0) {
            return null;
        }
        int p = fd >>> PAGE_BITS;
        if (p >= PAGES) {
            return beyond.get(fd);
        }
        AtomicReferenceArray<SocketRecord> page = pages.get(p);
        return page == null ? null : page.get(fd & (PAGE - 1));
    }

    /**
     * Drops the record of {@code fd} if {@code owner} made it: a close by an object that no longer owns the number (its
     * descriptor was closed behind its back and the number reused) leaves the newer record alone.
     */
    void remove(int fd, Object owner) {
        SocketRecord r = get(fd);
        if (r == null || r.owner() != owner) {
            return;
        }
        int p = fd >>> PAGE_BITS;
        if (p >= PAGES) {
            beyond.remove(fd, r);
        } else {
            pages.get(p).compareAndSet(fd & (PAGE - 1), r, null);
        }
    }

    /** A copy of the records, by descriptor; for reports, not the hot path. */
    Map<Integer, SocketRecord> snapshot() {
        Map<Integer, SocketRecord> all = new HashMap<>(beyond);
        for (int p = 0; p < PAGES; p++) {
            AtomicReferenceArray<SocketRecord> page = pages.get(p);
            if (page != null) {
                for (int i = 0; i < PAGE; i++) {
                    SocketRecord r = page.get(i);
                    if (r != null) {
                        all.put(r.fd(), r);
                    }
                }
            }
        }
        return Collections.unmodifiableMap(all);
    }
}
