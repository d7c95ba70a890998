package dev.teardown.inspect;

import dev.teardown.testing.TestLibc;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.testing.Kernel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A private network namespace owned by one dedicated thread: the thread calls unshare(CLONE_NEWNET) and then
 * runs the tasks given to {@link #call}. Loopback is brought up with {@code nsenter --net=/proc/PID/task/TID/ns/net
 * ip link set lo up}. Other threads may join with {@link #enter()}. Needs root.
 */
final class NetNs implements AutoCloseable {
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private final int tid;

    private NetNs() throws Exception {
        CompletableFuture<Integer> started = new CompletableFuture<>();
        thread = new Thread(() -> {
            if (TestLibc.unshare(TestLibc.CLONE_NEWNET) < 0) {
                int e = TestLibc.errno();
                started.completeExceptionally(new IOException("unshare(CLONE_NEWNET): " + Errno.name(e)));
                return;
            }
            started.complete(TestLibc.gettid());
            while (!closed) {
                try {
                    tasks.take().run();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "netns");
        thread.setDaemon(true);
        thread.start();
        try {
            tid = started.get();
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
        Kernel.run("nsenter", "--net=" + path(), "ip", "link", "set", "lo", "up");
    }

    /** A new namespace with loopback up. */
    static NetNs create() throws Exception {
        return new NetNs();
    }

    /** The namespace file of the owning thread. */
    String path() {
        return "/proc/" + ProcessHandle.current().pid() + "/task/" + tid + "/ns/net";
    }

    int tid() {
        return tid;
    }

    /** Runs {@code task} on the namespace thread and returns its result. */
    <T> T call(Callable<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception) {
                throw (Exception) c;
            }
            throw (Error) c;
        }
    }

    /** Writes a sysctl of the namespace from its own thread ("net.ipv4.tcp_fin_timeout" style key). */
    void sysctl(String key, String value) throws Exception {
        call(() -> {
            Files.write(Paths.get("/proc/sys/" + key.replace('.', '/')), value.getBytes(StandardCharsets.US_ASCII));
            return null;
        });
    }

    /** Runs a command inside the namespace through nsenter. */
    String nsenter(String... cmd) {
        String[] full = new String[cmd.length + 2];
        full[0] = "nsenter";
        full[1] = "--net=" + path();
        System.arraycopy(cmd, 0, full, 2, cmd.length);
        return Kernel.run(full);
    }

    /**
     * Moves the calling thread into this namespace (setns); closing the result moves it back.
     */
    AutoCloseable enter() throws IOException {
        int back = TestLibc.open("/proc/thread-self/ns/net", TestLibc.O_RDONLY | TestLibc.O_CLOEXEC);
        if (back < 0) {
            throw new IOException("open own netns: " + Errno.name(TestLibc.errno()));
        }
        try {
            dev.teardown.testing.NetLab.enter(path());
        } catch (IOException e) {
            Libc.close(back);
            throw e;
        }
        return () -> {
            try {
                if (TestLibc.setns(back, TestLibc.CLONE_NEWNET) < 0) {
                    throw new IOException("setns back: " + Errno.name(TestLibc.errno()));
                }
            } finally {
                Libc.close(back);
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        tasks.add(() -> { });
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
