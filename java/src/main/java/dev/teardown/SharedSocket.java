package dev.teardown;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the descriptors of one kernel socket that teardown knows about share: how many are open, and
 * the socket-wide facts teardown has set (output shut down, SO_LINGER zero).
 */
final class SharedSocket {
    final AtomicInteger references = new AtomicInteger(1);
    volatile boolean outputShutdown;
    volatile boolean inputShutdown;
    volatile boolean lingerZero;
    /** Pids of live children teardown handed this socket to; each holds one of the references. */
    final Set<Long> children = ConcurrentHashMap.newKeySet();
}
