package dev.teardown.cli;

import dev.teardown.TcpException;
import dev.teardown.inspect.NetworkNamespace;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Runs a task on a new thread that first enters a network namespace ({@code setns}, {@link NetworkNamespace}): a
 * sock_diag socket the task opens, and the {@code /proc/thread-self/net} and {@code /proc/sys/net} files it reads,
 * are that namespace's. The thread ends with the task, so no thread of the JVM is left in a foreign namespace.
 */
final class InNetns {
    private InNetns() {}

    /** The namespace could not be entered or read: gone meanwhile, or not ours to enter. */
    static final class Skipped extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean vanished;

        Skipped(String message, boolean vanished, Throwable cause) {
            super(message, cause);
            this.vanished = vanished;
        }
    }

    /**
     * Enters {@code ns} by the first of its files that can be opened (a process in it may exit meanwhile; the next
     * one is tried) and runs {@code task} there.
     *
     * @throws Skipped when no file of the namespace could be entered, or the task failed there
     */
    static <T> T call(Netns ns, Callable<T> task) throws Skipped {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            TcpException last = null;
            boolean entered = false;
            for (String path : ns.paths()) {
                try {
                    // the file may name another namespace by now (a pid reused): check what was entered
                    entered = NetworkNamespace.enter(path) && Netns.current() == ns.inode();
                    if (entered) {
                        break;
                    }
                } catch (TcpException e) {
                    last = e;
                }
            }
            if (!entered) {
                result.completeExceptionally(new Skipped(ns.link() + ": " + (last == null
                        ? "gone (its processes exited, or its name was deleted)" : last.getMessage()), last == null, last));
                return;
            }
            try {
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(new Skipped(ns.link() + ": " + e, false, e));
            }
        }, "teardown-netns-" + ns.inode());
        t.setDaemon(true);
        t.start();
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Skipped(ns.link() + ": interrupted", false, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Skipped s) {
                throw s;
            }
            throw new Skipped(ns.link() + ": " + e.getCause(), false, e.getCause());
        }
    }
}
