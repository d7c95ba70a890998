package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.spawn.ChildProcess;
import dev.teardown.testing.Requirements;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who is the last reference: decided together with the close(2) that really is last, so the outcome says
 * what the kernel sent even when two dups are released at the same instant, or a child exits just before.
 */
@Timeout(120)
class LastReferenceTest {
    @Test
    void twoDupsReleasedAtOnceReportTheRstExactlyOnce() throws Exception {
        CyclicBarrier start = new CyclicBarrier(2);
        for (int trial = 0; trial < 200; trial++) {
            try (Net.Pair p = Net.Pair.open(Net.V4)) {
                p.client().write(ByteBuffer.wrap(new byte[] {1, 2, 3})); // unread at the server: its last close resets
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (p.server().tcpInfo().bytesReceived().orElse(0) < 3 && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                TcpSocket a = p.server();
                TcpSocket b = a.dup();
                CompletableFuture<CloseOutcome> other = CompletableFuture.supplyAsync(() -> {
                    await(start);
                    return b.close(CloseMode.RELEASE);
                });
                await(start);
                CloseOutcome mine = a.close(CloseMode.RELEASE);
                CloseOutcome theirs = other.get(5, TimeUnit.SECONDS);
                int rsts = (mine.rstSent() ? 1 : 0) + (theirs.rstSent() ? 1 : 0);
                int nothing = (mine.sent() == CloseOutcome.Sent.NOTHING ? 1 : 0) + (theirs.sent() == CloseOutcome.Sent.NOTHING ? 1 : 0);
                assertEquals(1, rsts, "trial " + trial + ": exactly one close resets: " + mine + " / " + theirs);
                assertEquals(1, nothing, "trial " + trial + ": the other sends nothing: " + mine + " / " + theirs);
                CloseOutcome last = mine.rstSent() ? mine : theirs;
                assertEquals(3, last.unreadBytesDiscarded(), last.toString());
                // the independent view: the peer's next read fails with the reset
                TcpException e = org.junit.jupiter.api.Assertions.assertThrows(TcpException.class,
                        () -> p.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(5)));
                assertInstanceOf(ConnectionResetException.class, e, "trial " + trial);
            }
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aChildThatHasJustExitedNoLongerCountsAsAHolder() throws Exception {
        Requirements.requireCommand("python3");
        for (int trial = 0; trial < 10; trial++) {
            try (Net.Pair p = Net.Pair.open(Net.V4)) {
                ChildProcess child = ChildProcess.builder("python3", "-c", "pass").inherit(p.server(), 3).stdioToDevNull().start();
                // wait until the kernel says the child has exited (a zombie, or already reaped), then release at once
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!exited(child.pid()) && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                CloseOutcome o = p.server().close(CloseMode.RELEASE);
                assertEquals(CloseOutcome.Sent.FIN, o.sent(), "trial " + trial + ": " + o);
                assertEquals(-1, p.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(5)), "the peer sees the FIN");
                child.waitFor();
            }
        }
    }

    private static boolean exited(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (NoSuchFileException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
