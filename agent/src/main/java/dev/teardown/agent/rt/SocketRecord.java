package dev.teardown.agent.rt;

/**
 * One socket the agent saw opened, as a report reads it: its descriptor, when, where, and how. A copy made when read;
 * the agent's own table keeps no objects per socket.
 */
public final class SocketRecord {
    /** How the socket came to be. */
    public enum Kind { CREATED, ACCEPTED, LISTENER, NETTY }

    /**
     * What a pooled HTTP client last did with the socket: lent it to application code, or took it back.
     *
     * @param client which client's pool ({@link Recorder#clientName})
     * @param leased true from a lease until the pool takes the socket back
     * @param tls true for a TLS connection
     * @param millis when the pool last lent it or took it back, ms since the epoch
     */
    public record Pool(int client, boolean leased, boolean tls, long millis, Object stack) {
        /** The pool's name, as a report prints it. */
        public String clientName() {
            return Recorder.clientName(client);
        }
    }

    private final int fd;
    private final long openedMillis;
    private final Kind kind;
    private final Object stack; // a Throwable until resolved, then a Site; null when no stack was taken
    private final Object channel;
    private final int parentFd;
    private final Pool pool;
    private Site site;
    private Site useSite;

    SocketRecord(int fd, long openedMillis, Kind kind, Object stack, Object channel, int parentFd, Pool pool) {
        this.fd = fd;
        this.openedMillis = openedMillis;
        this.kind = kind;
        this.stack = stack;
        this.channel = channel;
        this.parentFd = parentFd;
        this.pool = pool;
    }

    /** The pool's view of the socket, or null when no pool the agent knows has lent it out. */
    public Pool pool() {
        return pool;
    }

    /**
     * The last use by application code the agent saw: the code that last leased the socket from its pool; null when
     * no known pool lent it out, or when the lease's stack was over the budget.
     */
    public synchronized Site lastUseSite() {
        if (useSite == null && pool != null && pool.stack() != null) {
            useSite = pool.stack() instanceof Site s ? s : Recorder.siteOf((Throwable) pool.stack());
        }
        return useSite;
    }

    /** False for a socket opened before the agent was loaded, known only from a pool's lease. */
    public boolean seenOpened() {
        return kind != null;
    }

    public int fd() {
        return fd;
    }

    /** Wall-clock time the socket was opened, in milliseconds since the epoch. */
    public long openedMillis() {
        return openedMillis;
    }

    /**
     * Where the socket was opened; {@link Site#NOT_TAKEN} when its stack was over the agent's budget, null when it
     * was opened before the agent.
     */
    public synchronized Site site() {
        if (kind == null) {
            return null;
        }
        if (site == null) {
            site = stack == null ? Site.NOT_TAKEN
                    : stack instanceof Site s ? s : Recorder.siteOf((Throwable) stack);
        }
        return site;
    }

    /** How the socket was opened; null when it was opened before the agent. */
    public Kind kind() {
        return kind;
    }

    /** The Netty channel built on this socket, if it was reachable when this copy was made; null otherwise. */
    public Object channel() {
        return channel;
    }

    /** The descriptor of the listener a Netty channel was accepted on, or -1. */
    public int parentFd() {
        return parentFd;
    }
}
