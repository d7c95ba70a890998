package dev.teardown.agent.rt;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the agent knows of each open descriptor, indexed by number: pages of 1024 slots made on first use. Recording
 * or dropping a socket writes one {@code long} (when it was opened, how, and whether a stack was taken) with a
 * release store: no allocation, no atomic update, and no reference stored into these long-lived arrays, which under
 * G1 would cost a card-marking barrier and concurrent refinement for every connection. References (a stack, a Netty
 * channel) are written only for the sockets that have them. A pooled HTTP client's lease and release write a second
 * {@code long} (and the lease's stack) beside it, off the JDK's socket path. Numbers past the pages (only where {@code fs.nr_open} was
 * raised above four million) go to a map of {@link SocketRecord}s.
 */
final class OpenSockets {
    private static final int PAGE_BITS = 10;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int PAGES = 1 << 12;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TAGS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle USES = MethodHandles.arrayElementVarHandle(long[].class);

    // a slot's use: when (ms since the epoch) << 8 | client << 4 | TLS | USE_STACK | LEASED or IN_POOL; 0: no pool
    private static final int LEASED = 1;
    private static final int IN_POOL = 2;
    private static final int USE_STACK = 4;
    private static final int TLS = 8;

    // a slot's word: opened (ms since the epoch) << 4 | LINKED | STACK | kind; 0 when nothing is recorded
    private static final int KIND_MASK = 3;
    private static final int STACK = 4;
    private static final int LINKED = 8;
    private static final SocketRecord.Kind[] KINDS = SocketRecord.Kind.values();

    private final AtomicReferenceArray<Page> pages = new AtomicReferenceArray<>(PAGES);
    private final Map<Integer, SocketRecord> beyond = new ConcurrentHashMap<>();

    private static final class Page {
        final long[] words = new long[PAGE];
        final int[] tags = new int[PAGE]; // the owner's identity hash, or 0: see put
        final AtomicReferenceArray<Object> stacks = new AtomicReferenceArray<>(PAGE); // Throwable, then Site
        final AtomicReferenceArray<WeakReference<Object>> channels = new AtomicReferenceArray<>(PAGE);
        final int[] parents = new int[PAGE];
        // a pool's view of the socket, written only by a pool's lease and release: see lease
        final long[] uses = new long[PAGE];
        final AtomicReferenceArray<Object> useStacks = new AtomicReferenceArray<>(PAGE); // Throwable, then Site
    }

    /**
     * Records descriptor {@code fd}, replacing whatever was recorded for that number. {@code ownerTag} is the identity
     * hash of the object whose close ends the record ({@link #remove}), or 0 for the JDK's sockets, whose close the
     * agent sees before the descriptor is closed, so that the number cannot have been reused in between.
     */
    void put(int fd, int ownerTag, long openedMillis, SocketRecord.Kind kind, Throwable stack) {
        int p = fd >>> PAGE_BITS;
        if (p >= PAGES) {
            beyond.put(fd, new SocketRecord(fd, openedMillis, kind, stack, null, -1, null));
            return;
        }
        Page page = pages.get(p);
        if (page == null) {
            pages.compareAndSet(p, null, new Page());
            page = pages.get(p);
        }
        int i = fd & (PAGE - 1);
        long word = openedMillis << 4 | kind.ordinal();
        if (stack != null) {
            page.stacks.setRelease(i, stack);
            word |= STACK;
        }
        page.tags[i] = ownerTag;
        if (page.uses[i] != 0) { // a number a pooled socket had before: its pool's view is not this socket's
            page.useStacks.set(i, null);
            USES.setRelease(page.uses, i, 0L);
        }
        WORDS.setRelease(page.words, i, word);
    }

    /**
     * A pool ({@code client}, 1 to 15) leased descriptor {@code fd} (a TLS connection's when {@code tls}) to the code
     * on {@code stack} (null when over the stack budget), or took it back ({@code leased} false, {@code stack} unused). Works on a socket the agent did not
     * see opened (attached later), which then has a record with no opening site.
     */
    void use(int fd, int client, boolean leased, boolean tls, long millis, Throwable stack) {
        int p = fd >>> PAGE_BITS;
        if (fd < 0 || p >= PAGES) {
            return; // descriptors past the pages keep no pool view
        }
        Page page = pages.get(p);
        if (page == null) {
            pages.compareAndSet(p, null, new Page());
            page = pages.get(p);
        }
        int i = fd & (PAGE - 1);
        long use = millis << 8 | client << 4 | (leased ? LEASED : IN_POOL) | (tls ? TLS : 0);
        if (leased) {
            page.useStacks.set(i, stack);
            use |= stack == null ? 0 : USE_STACK;
        } else {
            use |= (long) USES.getAcquire(page.uses, i) & USE_STACK; // the last lease's site stays the last use
        }
        USES.setRelease(page.uses, i, use);
    }

    /** Drops the record of {@code fd}, unless it was made for another owner than {@code ownerTag} (0: any). */
    void remove(int fd, int ownerTag) {
        if (fd < 0) {
            return;
        }
        int p = fd >>> PAGE_BITS;
        if (p >= PAGES) {
            beyond.remove(fd);
            return;
        }
        Page page = pages.get(p);
        int i = fd & (PAGE - 1);
        if (page != null && (ownerTag == 0 || (int) TAGS.getAcquire(page.tags, i) == ownerTag)) {
            WORDS.setRelease(page.words, i, 0L);
            if (page.uses[i] != 0) {
                USES.setRelease(page.uses, i, 0L);
                page.useStacks.set(i, null);
            }
        }
    }

    /**
     * Ties a Netty channel, and the listener it was accepted on, to the record of {@code fd}, if the record is there
     * and (for a tag other than 0) was made for {@code ownerTag}.
     */
    void link(int fd, int ownerTag, Object channel, int parentFd) {
        Page page = fd < 0 || fd >>> PAGE_BITS >= PAGES ? null : pages.get(fd >>> PAGE_BITS);
        if (page == null) {
            return;
        }
        int i = fd & (PAGE - 1);
        long word = (long) WORDS.getAcquire(page.words, i);
        if (word == 0 || (ownerTag != 0 && (int) TAGS.getAcquire(page.tags, i) != ownerTag)) {
            return;
        }
        page.channels.set(i, new WeakReference<>(channel));
        page.parents[i] = parentFd;
        WORDS.compareAndSet(page.words, i, word, word | LINKED);
    }

    /** The record of {@code fd} as it is now, or null. */
    SocketRecord get(int fd) {
        if (fd < 0) {
            return null;
        }
        int p = fd >>> PAGE_BITS;
        if (p >= PAGES) {
            return beyond.get(fd);
        }
        Page page = pages.get(p);
        return page == null ? null : read(page, fd, fd & (PAGE - 1));
    }

    /** The records of the descriptors open now, by descriptor; for reports, not the hot path. */
    Map<Integer, SocketRecord> snapshot() {
        Map<Integer, SocketRecord> all = new HashMap<>(beyond);
        for (int p = 0; p < PAGES; p++) {
            Page page = pages.get(p);
            if (page != null) {
                for (int i = 0; i < PAGE; i++) {
                    SocketRecord r = read(page, p << PAGE_BITS | i, i);
                    if (r != null) {
                        all.put(r.fd(), r);
                    }
                }
            }
        }
        return Collections.unmodifiableMap(all);
    }

    /**
     * Turns the stacks of the sockets opened at or before {@code millis} into interned sites, so that their
     * backtraces are not kept; sockets closed sooner never pay for it.
     */
    void resolveOpenedBefore(long millis) {
        for (int p = 0; p < PAGES; p++) {
            Page page = pages.get(p);
            if (page != null) {
                for (int i = 0; i < PAGE; i++) {
                    long word = (long) WORDS.getAcquire(page.words, i);
                    if ((word & STACK) != 0 && word >>> 4 <= millis) {
                        Object s = page.stacks.get(i);
                        if (s instanceof Throwable t) {
                            page.stacks.compareAndSet(i, t, Recorder.siteOf(t));
                        }
                    }
                    long use = (long) USES.getAcquire(page.uses, i);
                    if ((use & USE_STACK) != 0 && use >>> 8 <= millis) {
                        Object s = page.useStacks.get(i);
                        if (s instanceof Throwable t) {
                            page.useStacks.compareAndSet(i, t, Recorder.siteOf(t));
                        }
                    }
                }
            }
        }
        for (SocketRecord r : beyond.values()) {
            if (r.openedMillis() <= millis) {
                r.site();
            }
        }
    }

    /** A consistent copy of slot {@code i}: read again until its word did not change meanwhile. */
    private static SocketRecord read(Page page, int fd, int i) {
        while (true) {
            long word = (long) WORDS.getAcquire(page.words, i);
            long use = (long) USES.getAcquire(page.uses, i);
            if (word == 0 && use == 0) {
                return null;
            }
            Object stack = (word & STACK) == 0 ? null : page.stacks.get(i);
            WeakReference<Object> ch = (word & LINKED) == 0 ? null : page.channels.get(i);
            int parent = (word & LINKED) == 0 ? -1 : page.parents[i];
            Object useStack = (use & USE_STACK) == 0 ? null : page.useStacks.get(i);
            VarHandle.acquireFence();
            if ((long) WORDS.getAcquire(page.words, i) == word && (long) USES.getAcquire(page.uses, i) == use) {
                SocketRecord.Pool pool = use == 0 ? null : new SocketRecord.Pool((int) (use >>> 4 & 15),
                        (use & LEASED) != 0, (use & TLS) != 0, use >>> 8, useStack);
                return new SocketRecord(fd, word >>> 4, word == 0 ? null : KINDS[(int) (word & KIND_MASK)],
                        stack, ch == null ? null : ch.get(), parent, pool);
            }
        }
    }
}
