package dev.teardown.agent.rt;

import java.lang.ref.WeakReference;

/** One socket the agent saw opened: its descriptor, when, where, and how. Immutable but for the Netty links. */
public final class SocketRecord {
    /** How the socket came to be. */
    public enum Kind { CREATED, ACCEPTED, LISTENER, NETTY }

    private final int fd;
    private final int owner;
    private final long openedMillis;
    private final Site site;
    private final Kind kind;
    private volatile WeakReference<Object> channel;
    private volatile int parentFd = -1;

    SocketRecord(int fd, int owner, long openedMillis, Site site, Kind kind) {
        this.fd = fd;
        this.owner = owner;
        this.openedMillis = openedMillis;
        this.site = site;
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

    public Site site() {
        return site;
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
