package dev.teardown.agent.rt;

import java.lang.ref.WeakReference;

/**
 * One socket the agent saw opened: its descriptor, when, where, and how. The stack is kept as taken until
 * {@link #site()} first needs it.
 */
public final class SocketRecord {
    /** How the socket came to be. */
    public enum Kind { CREATED, ACCEPTED, LISTENER, NETTY }

    private final int fd;
    private final int owner;
    private final long openedMillis;
    private final Kind kind;
    private volatile Throwable stack;
    private volatile Site site;
    private volatile WeakReference<Object> channel;
    private volatile int parentFd = -1;

    SocketRecord(int fd, int owner, long openedMillis, Throwable stack, Kind kind) {
        this.fd = fd;
        this.owner = owner;
        this.openedMillis = openedMillis;
        this.stack = stack;
        this.site = stack == null ? Site.NOT_TAKEN : null;
        this.kind = kind;
    }

    public int fd() {
        return fd;
    }

    /** Identity hash of the Java object that owns the descriptor, so a stale close cannot drop a newer record. */
    int owner() {
        return owner;
    }

    /** Wall-clock time the socket was opened, in milliseconds since the epoch. */
    public long openedMillis() {
        return openedMillis;
    }

    /** Where the socket was opened (resolved from the stack on first use; racing callers get the same site). */
    public Site site() {
        Site s = site;
        if (s == null) {
            Throwable t = stack;
            s = t == null ? site : Recorder.siteOf(t);
            site = s;
            stack = null;
        }
        return s;
    }

    public Kind kind() {
        return kind;
    }

    /** The Netty channel built on this socket, while it is reachable; null otherwise. */
    public Object channel() {
        WeakReference<Object> ref = channel;
        return ref == null ? null : ref.get();
    }

    /** The descriptor of the listener a Netty channel was accepted on, or -1. */
    public int parentFd() {
        return parentFd;
    }

    void linkChannel(Object ch, int parent) {
        channel = new WeakReference<>(ch);
        parentFd = parent;
    }
}
