package dev.teardown.spawn;

import dev.teardown.TcpException;
import dev.teardown.TcpSocket;
import dev.teardown.internal.SocketAccess;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Os;
import dev.teardown.posix.Spawn;
import dev.teardown.posix.SpawnLibc;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process started with posix_spawn that inherits exactly the sockets named, at the descriptor
 * numbers named, and nothing else: every other descriptor above 2 is closed in the child, whatever its
 * close-on-exec flag. No Java code runs in the child. Standard input, output and error are the parent's
 * unless a socket is given at 0, 1 or 2 (inetd style) or {@link Builder#stdioToDevNull()} is set.
 *
 * <p>Each socket handed over gains a reference ({@link TcpSocket#references()}) for as long as the
 * child lives. This is how a parent hands a connection to a worker; afterwards the parent must end its
 * own copy with {@link dev.teardown.CloseMode#RELEASE RELEASE}, which sends nothing and leaves the
 * connection to the child. {@link dev.teardown.CloseMode#SHUTDOWN SHUTDOWN} or
 * {@link dev.teardown.CloseMode#ABORT ABORT} would end the child's connection too. Conversely, when the
 * child is done it must shut the socket down (or exit): while the parent still holds a copy, a child's
 * plain close(2) sends no FIN, which is the classic CLOSE_WAIT leak.
 */
public final class ChildProcess {
    private final int pid;
    private final List<String> command;
    private final CompletableFuture<ChildProcess> exit = new CompletableFuture<>();
    private volatile int rawStatus = -1;

    private ChildProcess(int pid, List<String> command) {
        this.pid = pid;
        this.command = command;
    }

    /** A builder for {@code command} (looked up on PATH like execvp). */
    public static Builder builder(String... command) {
        // Arrays.asList, not List.of: a null element must reach the check below, not throw NullPointerException
        return builder(command == null ? null : java.util.Arrays.asList(command));
    }

    /** A builder for {@code command} (looked up on PATH like execvp). */
    public static Builder builder(List<String> command) {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("command must name a program");
        }
        for (String s : command) {
            if (s == null) {
                throw new IllegalArgumentException("command contains null: " + command);
            }
        }
        return new Builder(List.copyOf(command));
    }

    /** Collects what the child inherits; {@link #start()} spawns it. */
    public static final class Builder {
        private final List<String> command;
        private final TreeMap<Integer, TcpSocket> sockets = new TreeMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>(System.getenv());
        private boolean devNull;

        private Builder(List<String> command) {
            this.command = command;
        }

        /**
         * The child gets {@code socket} at descriptor {@code childFd} (without close-on-exec).
         *
         * @throws IllegalArgumentException if socket is null, childFd is negative, or childFd is already taken
         */
        public Builder inherit(TcpSocket socket, int childFd) {
            if (socket == null) {
                throw new IllegalArgumentException("socket must not be null");
            }
            if (childFd < 0 || childFd > 65535) {
                throw new IllegalArgumentException("childFd must be in 0..65535, got " + childFd);
            }
            if (sockets.containsKey(childFd)) {
                throw new IllegalArgumentException("childFd " + childFd + " is already given to another socket");
            }
            sockets.put(childFd, socket);
            return this;
        }

        /** Sets one environment variable of the child (it starts with this process's environment). */
        public Builder environment(String name, String value) {
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || value == null) {
                throw new IllegalArgumentException("bad environment variable: " + name + "=" + value);
            }
            environment.put(name, value);
            return this;
        }

        /** Standard input, output and error not given a socket are opened on /dev/null. */
        public Builder stdioToDevNull() {
            devNull = true;
            return this;
        }

        private String[] envArray() {
            String[] env = new String[environment.size()];
            int i = 0;
            for (Map.Entry<String, String> e : environment.entrySet()) {
                env[i++] = e.getKey() + "=" + e.getValue();
            }
            return env;
        }

        /**
         * Spawns the child.
         *
         * @throws dev.teardown.SocketClosedException if a socket was closed
         * @throws IOException if posix_spawn fails (the message names the program and the error)
         */
        public ChildProcess start() throws IOException {
            Os.requireSupported();
            SocketAccess.Access<TcpSocket> access = sockets.isEmpty() ? null : SocketAccess.get();
            List<TcpSocket> acquired = new ArrayList<>();
            Map<Integer, Integer> targetToSource = new TreeMap<>();
            try {
                for (Map.Entry<Integer, TcpSocket> e : sockets.entrySet()) {
                    int src = access.acquire(e.getValue(), "spawn " + command.get(0));
                    acquired.add(e.getValue());
                    targetToSource.put(e.getKey(), src);
                }
                int pid = Spawn.spawn(command, targetToSource, devNull, envArray());
                ChildProcess child = new ChildProcess(pid, command);
                List<Runnable> onExit = new ArrayList<>();
                for (TcpSocket s : sockets.values()) {
                    onExit.add(access.childStarted(s, pid));
                }
                child.startReaper(onExit);
                return child;
            } finally {
                for (TcpSocket s : acquired) {
                    access.release(s);
                }
            }
        }

    }

    /** Waits for the child on a daemon thread; then drops the references it held (it holds no socket handle). */
    private void startReaper(List<Runnable> onExit) {
        Thread t = new Thread(() -> {
            int[] status = new int[1];
            for (;;) {
                int r = SpawnLibc.waitpid(pid, status, 0);
                if (r == pid) {
                    rawStatus = status[0];
                    break;
                }
                if (r < 0 && dev.teardown.posix.Libc.errno() != Errno.EINTR) {
                    rawStatus = 0xff00; // reaped elsewhere: report exit code 255
                    break;
                }
            }
            for (Runnable r : onExit) {
                r.run();
            }
            exit.complete(this);
        }, "teardown-reaper-" + pid);
        t.setDaemon(true);
        t.start();
    }

    /** The child's process id. */
    public long pid() {
        return pid;
    }

    /** The command it runs. */
    public List<String> command() {
        return command;
    }

    /** True until the child has exited and been reaped. */
    public boolean isAlive() {
        return !exit.isDone();
    }

    /** Completes when the child has exited; by then the references it held are dropped. */
    public CompletableFuture<ChildProcess> onExit() {
        return exit.thenApply(c -> c);
    }

    /** Waits for the child to exit and returns {@link #exitValue()}. */
    public int waitFor() throws InterruptedException {
        try {
            exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return exitValue().getAsInt();
    }

    /** Waits at most {@code timeout}; true if the child exited. */
    public boolean waitFor(Duration timeout) throws InterruptedException {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be a non-negative duration, got " + timeout);
        }
        try {
            exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The exit code, or 128 + signal number if a signal ended it (as a shell reports); empty while alive. */
    public OptionalInt exitValue() {
        int s = rawStatus;
        if (!exit.isDone() || s < 0) {
            return OptionalInt.empty();
        }
        int sig = s & 0x7f;
        return OptionalInt.of(sig == 0 ? (s >> 8) & 0xff : 128 + sig);
    }

    /** Sends SIGTERM. */
    public void terminate() throws TcpException {
        signal(SpawnLibc.SIGTERM);
    }

    /** Sends SIGKILL. */
    public void kill() throws TcpException {
        signal(SpawnLibc.SIGKILL);
    }

    private void signal(int sig) throws TcpException {
        if (!exit.isDone()) {
            // The reaper has not collected it, so the pid cannot have been reused yet.
            if (SpawnLibc.kill(pid, sig) < 0) {
                int e = dev.teardown.posix.Libc.errno();
                if (e != Errno.ESRCH) {
                    throw TcpException.of("kill " + pid, e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ChildProcess[pid " + pid + ", " + String.join(" ", command) + (isAlive() ? ", alive" : ", exited " + exitValue().getAsInt()) + "]";
    }
}
