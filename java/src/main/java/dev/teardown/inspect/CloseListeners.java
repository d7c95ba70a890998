package dev.teardown.inspect;

import dev.teardown.CloseOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Listeners told of every close made through teardown, with its {@link CloseOutcome} (the mode, what went on
 * the wire), on the closing thread, after the close: what metrics need ({@code teardown-micrometer} counts
 * closes by mode and by what was sent). A listener must be quick and must not throw; an exception it throws is
 * logged and ignored.
 *
 * <p>While at least one listener is registered, each close also reads the socket's local address (one
 * {@code getsockname}) for the JFR {@link CloseEvent}, as during a recording; with none, the close path pays one
 * volatile read.
 */
public final class CloseListeners {
    private CloseListeners() {}

    private static final System.Logger LOG = System.getLogger(CloseListeners.class.getName());
    private static volatile List<Consumer<? super CloseOutcome>> listeners = List.of();

    /** Registers {@code listener} (once per call: registering it twice tells it twice). */
    public static synchronized void add(Consumer<? super CloseOutcome> listener) {
        Objects.requireNonNull(listener, "listener");
        List<Consumer<? super CloseOutcome>> next = new ArrayList<>(listeners);
        next.add(listener);
        listeners = List.copyOf(next);
    }

    /** Removes one registration of {@code listener}; false if it was not registered. */
    public static synchronized boolean remove(Consumer<? super CloseOutcome> listener) {
        List<Consumer<? super CloseOutcome>> next = new ArrayList<>(listeners);
        boolean removed = next.remove(listener);
        listeners = List.copyOf(next);
        return removed;
    }

    static boolean any() {
        return !listeners.isEmpty();
    }

    static void fire(CloseOutcome outcome) {
        for (Consumer<? super CloseOutcome> l : listeners) {
            try {
                l.accept(outcome);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "close listener " + l + " failed", e);
            }
        }
    }
}
