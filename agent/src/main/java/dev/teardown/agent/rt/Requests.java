package dev.teardown.agent.rt;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stacks of requests made to an asynchronous pooled client (Jetty's {@code HttpClient}, Reactor Netty), held from
 * the call that made the request, on the application's thread, until the pool lends the request a connection, which
 * may happen on one of the client's own threads. Keyed by the identity of the request object, weakly: a request that
 * never gets a connection leaves nothing behind once it is collected; at most {@value #MAX} are held.
 */
final class Requests {
    private static final int MAX = 10_000;
    private static final ReferenceQueue<Object> GONE = new ReferenceQueue<>();
    private static final ConcurrentHashMap<Key, Throwable> STACKS = new ConcurrentHashMap<>();

    private Requests() {}

    /** A request's identity, weakly held. */
    private static final class Key extends WeakReference<Object> {
        private final int hash;

        Key(Object request, ReferenceQueue<Object> queue) {
            super(request, queue);
            this.hash = System.identityHashCode(request);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) {
                return true;
            }
            Object mine = get();
            return o instanceof Key k && mine != null && mine == k.get();
        }
    }

    /** Holds {@code stack} for {@code request} until {@link #take}. */
    static void put(Object request, Throwable stack) {
        for (Object k; (k = GONE.poll()) != null; ) {
            STACKS.remove(k);
        }
        if (STACKS.size() < MAX) {
            STACKS.put(new Key(request, GONE), stack);
        }
    }

    /** The stack held for {@code request}, now forgotten; null when none is held (over the budget, or before the agent). */
    static Throwable take(Object request) {
        return STACKS.isEmpty() ? null : STACKS.remove(new Key(request, null));
    }

    /** Requests held now. */
    static int size() {
        return STACKS.size();
    }
}
