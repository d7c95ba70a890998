package dev.teardown;

import dev.teardown.internal.SocketSites;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The last resort for sockets and listeners that became unreachable without being closed: a
 * {@link Cleaner} closes their descriptor with {@link CloseMode#RELEASE} (FIN if it was the last
 * reference, nothing otherwise) and reports each one as a WARNING to the {@code System.Logger} named
 * {@code dev.teardown}. An unclosed socket is a bug: until the garbage collector finds it, its
 * connection sits in CLOSE_WAIT or ESTABLISHED. Close every socket explicitly; this only bounds the
 * damage.
 */
public final class SafetyNet {
    private SafetyNet() {}

    private static final System.Logger LOG = System.getLogger("dev.teardown");
    private static final AtomicLong COLLECTED = new AtomicLong();
    static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "teardown-safety-net");
        t.setDaemon(true);
        return t;
    });

    /** How many unclosed sockets and listeners the safety net has closed in this JVM. */
    public static long collected() {
        return COLLECTED.get();
    }

    /** The cleaning action: holds the descriptor, never the handle, so the handle can become unreachable. */
    static final class Action implements Runnable {
        private final Descriptor d;
        private final SharedSocket shared;
        private final String what;
        private final Object subject;

        Action(Descriptor d, SharedSocket shared, String what) {
            this(d, shared, what, "");
        }

        /** The label is {@code what + subject}, formatted only when the action runs (rarely: a leak). */
        Action(Descriptor d, SharedSocket shared, String what, Object subject) {
            this.d = d;
            this.shared = shared;
            this.what = what;
            this.subject = subject;
        }

        @Override
        public void run() {
            boolean neverClosed = d.markClosing();
            if (!d.claimExclusive()) {
                return; // closed explicitly: the normal case
            }
            // Either never closed, or an asynchronous close whose executor accepted the task and never ran it.
            String site = "";
            if (SocketSites.isEnabled()) {
                java.util.OptionalLong ino = SocketSites.inodeOf(d.fd);
                if (ino.isPresent()) {
                    site = SocketSites.siteOf(ino.getAsLong()).map(t -> {
                        java.io.StringWriter w = new java.io.StringWriter();
                        t.printStackTrace(new java.io.PrintWriter(w));
                        return "\nallocated at: " + w;
                    }).orElse("");
                }
            }
            String outcome;
            if (shared != null) {
                outcome = Closer.close(d, shared, CloseMode.RELEASE, System.nanoTime(), null).detail();
            } else {
                d.closeFd();
                outcome = "listener closed";
            }
            COLLECTED.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "teardown: " + what + subject + " (fd " + d.fd
                     + (neverClosed ? ") was never closed" : ") was closed asynchronously, but its executor never ran the close")
                    + "; the safety net released it: " + outcome + site);
        }
    }
}
