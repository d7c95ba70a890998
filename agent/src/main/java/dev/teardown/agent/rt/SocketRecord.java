package dev.teardown.agent.rt;

/**
 * One socket the agent saw opened, as a report reads it: its descriptor, when, where, and how. A copy made when read;
 * the agent's own table keeps no objects per socket.
 */
public final class SocketRecord {
    /** How the socket came to be. */
    public enum Kind { CREATED, ACCEPTED, LISTENER, NETTY }

    private final int fd;
    private final long openedMillis;
    private final Kind kind;
    private final Object stack; // a Throwable until resolved, then a Site; null when no stack was taken
    private final Object channel;
    private final int parentFd;
    private Site site;

    SocketRecord(int fd, long openedMillis, Kind kind, Object stack, Object channel, int parentFd) {
        this.fd = fd;
        this.openedMillis = openedMillis;
        this.kind = kind;
        this.stack = stack;
        this.channel = channel;
        this.parentFd = parentFd;
    }

    public int fd() {
        return fd;
    }

    /** Wall-clock time the socket was opened, in milliseconds since the epoch. */
    public long openedMillis() {
        return openedMillis;
    }

    /** Where the socket was opened; {@link Site#NOT_TAKEN} when its stack was over the agent's budget. */
    public synchronized Site site() {
        if (site == null) {
            site = stack == null ? Site.NOT_TAKEN
                    : stack instanceof Site s ? s : Recorder.siteOf((Throwable) stack);
        }
        return site;
    }

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
