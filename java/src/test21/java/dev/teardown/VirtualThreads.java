package dev.teardown;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Helpers for the virtual-thread tests (compiled and run on a JDK 21+ only). */
final class VirtualThreads {
    private VirtualThreads() {}

    /** Waits until virtual thread {@code t} is parked inside teardown (a socket call waiting for readiness). */
    static void awaitParkedInTeardown(Thread t) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            if (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING) {
                if (Stream.of(t.getStackTrace()).anyMatch(f -> f.getClassName().equals("dev.teardown.Descriptor")
                        && f.getMethodName().equals("park"))) {
                    return;
                }
            }
            if (!t.isAlive()) {
                fail(t.getName() + " ended before it waited");
            }
            Net.sleepMillis(5);
        }
        fail(t.getName() + " never parked in teardown; it is at " + Net.stack(t));
    }

    /**
     * Makes the descriptors a virtual thread's first wait opens once per JVM (the carrier pollers' epoll instances),
     * so a leak check that takes its baseline on a platform thread does not count them.
     */
    static void warmCarrierPollers() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    p.client().read(java.nio.ByteBuffer.allocate(8), Net.ms(50));
                } catch (TcpException expected) {
                    // timed out: the wait was made
                }
            });
            t.join();
        }
    }

    /** The scheduler's parallelism, as the surefire execution sets it. */
    static int carriers() {
        return Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
    }
}
