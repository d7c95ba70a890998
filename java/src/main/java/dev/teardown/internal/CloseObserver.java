package dev.teardown.internal;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * What a close reports to the packages above the core (JFR events, the names of foreign holders), found with
 * {@link ServiceLoader} once, on the first close that asks: the core compiles against this interface only.
 * Without a provider (a jlinked runtime without the inspect classes) closes report nothing upwards.
 */
public interface CloseObserver {
    /** True if a recording wants close events now; checked before a close, cheap. */
    boolean closeEventsEnabled();

    /** One close, reported after it: {@code outcome} is the core's CloseOutcome. Never throws. */
    void closed(Object outcome, InetSocketAddress local, InetSocketAddress remote);

    /** "still held by pid 4242 fd 5 (python3 worker.py)" if the socket outlived our close; see SocketOwners. */
    Optional<String> stillHeldAfterClose(long inode, InetSocketAddress local, InetSocketAddress remote);

    /** The installed observer, or one that reports nothing. */
    static CloseObserver get() {
        return Installed.OBSERVER;
    }

    /** Loaded on first use. */
    final class Installed {
        private Installed() {}

        static final CloseObserver OBSERVER = ServiceLoader.load(CloseObserver.class, CloseObserver.class.getClassLoader())
                .findFirst().orElse(new CloseObserver() {
                    @Override
                    public boolean closeEventsEnabled() {
                        return false;
                    }

                    @Override
                    public void closed(Object outcome, InetSocketAddress local, InetSocketAddress remote) {}

                    @Override
                    public Optional<String> stillHeldAfterClose(long inode, InetSocketAddress local,
                            InetSocketAddress remote) {
                        return Optional.empty();
                    }
                });
    }
}
