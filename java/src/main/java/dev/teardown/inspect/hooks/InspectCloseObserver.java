package dev.teardown.inspect.hooks;

import dev.teardown.CloseOutcome;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.inspect.TeardownJfr;
import dev.teardown.internal.CloseObserver;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The inspect package's {@link CloseObserver}, found by the core through {@link java.util.ServiceLoader}
 * ({@code META-INF/services}, and {@code provides} in module-info): JFR close events and the names of the
 * processes that still hold a socket after our close. Not exported; not API.
 */
public final class InspectCloseObserver implements CloseObserver<CloseOutcome> {
    /** For the service loader. */
    public InspectCloseObserver() {}

    @Override
    public boolean closeEventsEnabled() {
        return TeardownJfr.closeEventsEnabled();
    }

    @Override
    public void closed(CloseOutcome outcome, InetSocketAddress local, InetSocketAddress remote) {
        TeardownJfr.closed(outcome, local, remote);
    }

    @Override
    public Optional<String> stillHeldAfterClose(long inode, InetSocketAddress local, InetSocketAddress remote) {
        return SocketOwners.stillHeldAfterClose(inode, local, remote);
    }
}
