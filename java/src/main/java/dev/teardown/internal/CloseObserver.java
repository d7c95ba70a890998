package dev.teardown.internal;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * What a close reports to the packages above the core (JFR events, close listeners, the names of foreign holders),
 * found with {@link ServiceLoader} once, on the first close that asks: the core compiles against this interface
 * only. Typed by the outcome ({@code O} is the core's CloseOutcome at both ends: the core asks for a
 * {@code CloseObserver<CloseOutcome>}, inspect implements one), so that this package names nothing of the core.
 * Without a provider (a jlinked runtime without the inspect classes) closes report nothing upwards.
 *
 * @param <O> the outcome type
 */
public interface CloseObserver<O> {
    /** True if a recording wants close events now; checked before a close, cheap. */
    boolean closeEventsEnabled();

    /** One close, reported after it. Never throws. */
    void closed(O outcome, InetSocketAddress local, InetSocketAddress remote);

    /** "still held by pid 4242 fd 5 (python3 worker.py)" if the socket outlived our close; see SocketOwners. */
    Optional<String> stillHeldAfterClose(long inode, InetSocketAddress local, InetSocketAddress remote);

    /** The installed observer, or one that reports nothing. */
    @SuppressWarnings("unchecked")
    static <O> CloseObserver<O> get() {
        return (CloseObserver<O>) Installed.OBSERVER;
    }

    /** Loaded on first use. */
    final class Installed {
        private Installed() {}

        static final CloseObserver<?> OBSERVER = ServiceLoader.load(CloseObserver.class, CloseObserver.class.getClassLoader())
                .findFirst().orElse(new CloseObserver<Object>() {
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
