package dev.teardown.inspect.hooks;

import dev.teardown.inspect.TcpEntry;
import dev.teardown.inspect.TeardownJfr;
import dev.teardown.internal.ListenerObserver;
import java.net.InetSocketAddress;

/**
 * The inspect package's {@link ListenerObserver}, found by the core through {@link java.util.ServiceLoader}: an
 * {@link AcceptBackOffEvent} for each accept back-off, when a recording wants it. Not exported; not API.
 */
public final class InspectListenerObserver implements ListenerObserver {
    /**
     * For the service loader, which runs when the first listener is bound: the event's classes are loaded then,
     * as loading them at the first back-off may need a descriptor that is not there.
     */
    public InspectListenerObserver() {
        if (TeardownJfr.isAvailable()) {
            Jfr.load();
        }
    }

    @Override
    public void acceptBackedOff(InetSocketAddress local, String errno, long pauseNanos, int consecutive) {
        if (TeardownJfr.isAvailable()) {
            Jfr.emit(local, errno, pauseNanos, consecutive);
        }
    }

    /** Loaded only where jdk.jfr is. */
    private static final class Jfr {
        static void load() {
            try {
                Class.forName(AcceptBackOffEvent.class.getName(), false, Jfr.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e); // it is in this jar
            }
        }

        static void emit(InetSocketAddress local, String errno, long pauseNanos, int consecutive) {
            AcceptBackOffEvent e = new AcceptBackOffEvent();
            if (e.isEnabled()) {
                e.listener = local == null ? "" : TcpEntry.format(local);
                e.errno = errno;
                e.pause = pauseNanos;
                e.consecutive = consecutive;
                e.commit();
            }
        }
    }
}
