package dev.teardown.internal;

import java.net.InetSocketAddress;
import java.util.ServiceLoader;

/**
 * What a listener reports to the packages above the core (a JFR event for each accept back-off), found with
 * {@link ServiceLoader} once, on the first report: the core compiles against this interface only. Without a
 * provider (a jlinked runtime without the inspect classes) listeners report nothing upwards.
 */
public interface ListenerObserver {
    /**
     * An accept failed with {@code errno} (EMFILE, ENFILE, ENOBUFS, ENOMEM) and its thread now pauses
     * {@code pauseNanos}, the {@code consecutive}-th such failure in a row on the listener at {@code local}.
     * Never throws.
     */
    void acceptBackedOff(InetSocketAddress local, String errno, long pauseNanos, int consecutive);

    /** The installed observer, or one that reports nothing. */
    static ListenerObserver get() {
        return Installed.OBSERVER;
    }

    /** Loaded on first use. */
    final class Installed {
        private Installed() {}

        static final ListenerObserver OBSERVER = ServiceLoader.load(ListenerObserver.class,
                ListenerObserver.class.getClassLoader()).findFirst().orElse((local, errno, pauseNanos, consecutive) -> { });
    }
}
