package dev.teardown.agent.rt;

import java.lang.ref.WeakReference;

/**
 * One socket the agent saw opened: its descriptor, when, where, and how. The stack is kept as taken until
 * {@link #site()} first needs it. Made on the socket's opening path, so its constructor writes plain fields only (the
 * table's volatile store publishes them); what changes later is guarded by the record's monitor, off that path.
 */
public final class SocketRecord {
    /** How the socket came to be. */
    public enum Kind { CREATED, ACCEPTED, LISTENER, NETTY }

    private final int fd;
    private final Object owner;
    private final long openedMillis;
    private final Kind kind;
    private Throwable stack;
    private Site site;
    private WeakReference<Object> channel;
    private int parentFd;

    SocketRecord(int fd, Object owner, long openedMillis, Throwable stack, Kind kind) {
        this.fd = fd;
        this.owner = owner;
        this.openedMillis = openedMillis;
        this.stack = stack;
        this.site = stack == null ? Site.NOT_TAKEN : null;
        this.kind = kind;
        this.parentFd = -1;
    }

    public int fd() {
        return fd;
    }

    /**
     * The object whose close ends this record, so that a stale close cannot drop a newer record of the same number:
     * the JDK's {@code FileDescriptor} of the socket (not the socket object, whose cleaner must still run when an
     * application drops it unclosed), or Netty's descriptor object.
     */
    Object owner() {
        return owner;
    }

    /** Wall-clock time the socket was opened, in milliseconds since the epoch. */
    public long openedMillis() {
        return openedMillis;
    }

    /** Where the socket was opened (resolved from the stack on first use). */
    public synchronized Site site() {
        if (site == null) {
            site = Recorder.siteOf(stack);
            stack = null;
        }
        return site;
    }

    public Kind kind() {
        return kind;
    }

    /** The Netty channel built on this socket, while it is reachable; null otherwise. */
    public synchronized Object channel() {
        return channel == null ? null : channel.get();
    }

    /** The descriptor of the listener a Netty channel was accepted on, or -1. */
    public synchronized int parentFd() {
        return parentFd;
    }

    synchronized void linkChannel(Object ch, int parent) {
        channel = new WeakReference<>(ch);
        parentFd = parent;
    }
}
