package dev.teardown.jdk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * teardown's own selector thread for asynchronous closes of non-blocking JDK channels: it waits for a draining
 * channel to become readable, runs deadlines and the periodic send-queue checks of linger, and watches for the
 * JDK's real close. One daemon thread, started at first use; no user code runs on it (futures are completed
 * from the common pool).
 */
final class CloseLoop implements Runnable {
    private static final class Holder {
        static final CloseLoop INSTANCE = new CloseLoop();
    }

    static CloseLoop get() {
        return Holder.INSTANCE;
    }

    private record Timer(long at, long seq, Runnable task) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final Selector selector;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(); // loop thread only
    private final Thread thread;
    private long seq;

    private CloseLoop() {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("teardown: cannot open the selector for asynchronous closes", e);
        }
        thread = new Thread(this, "teardown-jdk-close");
        thread.setDaemon(true);
        thread.start();
    }

    Selector selector() {
        return selector;
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the loop thread. */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Runs {@code task} on the loop thread at {@code atNanos} (System.nanoTime); loop thread only. */
    void schedule(long atNanos, Runnable task) {
        timers.add(new Timer(atNanos, seq++, task));
    }

    @Override
    public void run() {
        for (;;) {
            try {
                long wait = 0;
                Timer next = timers.peek();
                if (next != null) {
                    wait = Math.max(1, TimeUnit.NANOSECONDS.toMillis(next.at - System.nanoTime() + 999_999));
                }
                if (tasks.isEmpty()) {
                    selector.select(wait); // also flushes the keys of channels closed meanwhile
                } else {
                    selector.selectNow();
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k.isValid()) {
                        ((Runnable) k.attachment()).run();
                    }
                }
                long now = System.nanoTime();
                while ((next = timers.peek()) != null && next.at - now <= 0) {
                    timers.poll().task.run();
                }
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                }
            } catch (Throwable t) {
                // a close's own failures complete its future; anything else must not stop the loop
                System.getLogger(CloseLoop.class.getName()).log(System.Logger.Level.ERROR, "teardown close loop", t);
            }
        }
    }
}
