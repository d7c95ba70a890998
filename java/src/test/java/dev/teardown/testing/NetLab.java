package dev.teardown.testing;

import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two private network namespaces, {@code teardown-<random>-a} and {@code -b} ({@code ip netns add}), joined by a
 * veth pair: {@link #A} (10.231.0.1) in the first, {@link #B} (10.231.0.2) in the second, loopback up in both.
 * Each namespace has a thread that has joined it with setns(2): sockets created through {@link Ns#call} live in
 * that namespace (any thread may use them afterwards). iptables rules and tc qdiscs set with {@link Ns#run} act
 * inside the namespace only, and {@link #close()} deletes both namespaces with everything in them. Needs root.
 */
public final class NetLab implements AutoCloseable {
    public static final InetAddress A = address("10.231.0.1");
    public static final InetAddress B = address("10.231.0.2");

    private final Ns a;
    private final Ns b;
    private final String vethA;
    private final String vethB;

    private NetLab(String tag) throws Exception {
        String base = "teardown-" + tag;
        vethA = "td" + tag + "a";
        vethB = "td" + tag + "b";
        Ns na = null;
        Ns nb = null;
        try {
            na = new Ns(base + "-a");
            nb = new Ns(base + "-b");
            Kernel.run("ip", "link", "add", vethA, "netns", na.name, "type", "veth", "peer", "name", vethB, "netns", nb.name);
            na.run("ip", "addr", "add", A.getHostAddress() + "/24", "dev", vethA);
            nb.run("ip", "addr", "add", B.getHostAddress() + "/24", "dev", vethB);
            // one packet per segment on the wire, as on a real link: without this, veth passes 64 KiB GSO
            // super-packets, and iptables' statistic match and tbf would see (and drop) a few huge packets
            na.run("ip", "link", "set", vethA, "gso_max_segs", "1", "gso_max_size", "1500");
            nb.run("ip", "link", "set", vethB, "gso_max_segs", "1", "gso_max_size", "1500");
            na.run("ip", "link", "set", vethA, "up");
            nb.run("ip", "link", "set", vethB, "up");
            // the kernel activates a link's qdisc a moment after "up" (linkwatch): a SYN sent before that is dropped,
            // retried after 1 s, and leaves the connection with a 3 s RTO
            awaitUp(na, vethA);
            awaitUp(nb, vethB);
        } catch (Exception | Error e) {
            if (na != null) {
                na.close();
            }
            if (nb != null) {
                nb.close();
            }
            throw e;
        }
        a = na;
        b = nb;
    }

    private static void awaitUp(Ns ns, String link) throws Exception {
        long end = System.nanoTime() + 5_000_000_000L;
        String state;
        while (!(state = ns.run("ip", "-o", "link", "show", "dev", link)).contains("state UP")) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException(link + " in " + ns.name() + " is " + state + ", not up");
            }
            Thread.sleep(10);
        }
    }

    /** Creates the two namespaces and the link; the caller must {@link #close()} it (try-with-resources). */
    public static NetLab create() throws Exception {
        Requirements.requireRoot("private network namespaces, iptables and tc");
        Requirements.requireCommand("ip");
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        return new NetLab(tag);
    }

    /** The namespace holding 10.231.0.1. */
    public Ns a() {
        return a;
    }

    /** The namespace holding 10.231.0.2. */
    public Ns b() {
        return b;
    }

    /** The veth end in {@link #a()}, for tc. */
    public String linkA() {
        return vethA;
    }

    /** The veth end in {@link #b()}. */
    public String linkB() {
        return vethB;
    }

    public static InetSocketAddress at(InetAddress host, int port) {
        return new InetSocketAddress(host, port);
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }

    /** One named namespace and a thread inside it. */
    public static final class Ns implements AutoCloseable {
        private final String name;
        private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
        private final Thread thread;
        private volatile boolean closed;

        private Ns(String name) throws Exception {
            this.name = name;
            Kernel.run("ip", "netns", "add", name);
            CompletableFuture<Void> joined = new CompletableFuture<>();
            thread = new Thread(() -> {
                try {
                    enter("/run/netns/" + name);
                } catch (IOException e) {
                    joined.completeExceptionally(e);
                    return;
                }
                joined.complete(null);
                while (!closed) {
                    try {
                        tasks.take().run();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "netns-" + name);
            thread.setDaemon(true);
            thread.start();
            try {
                joined.get();
                run("ip", "link", "set", "lo", "up");
            } catch (ExecutionException e) {
                close();
                throw (Exception) e.getCause();
            }
        }

        /** The namespace's name, as {@code ip netns} knows it. */
        public String name() {
            return name;
        }

        /** Runs {@code task} on this namespace's thread and returns its result. */
        public <T> T call(Callable<T> task) throws Exception {
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
                if (c instanceof Exception ex) {
                    throw ex;
                }
                throw (Error) c;
            }
        }

        /** Runs a command inside the namespace ({@code ip netns exec}); returns its output. */
        public String run(String... cmd) {
            List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
            full.addAll(List.of(cmd));
            return Kernel.run(full.toArray(new String[0]));
        }

        /** {@code iptables ARGS} inside the namespace. */
        public void iptables(String... args) {
            Requirements.requireCommand("iptables");
            List<String> full = new ArrayList<>(List.of("iptables", "-w"));
            full.addAll(List.of(args));
            run(full.toArray(new String[0]));
        }

        /** Writes a sysctl of the namespace ("net.ipv4.tcp_fin_timeout" style key). */
        public void sysctl(String key, String value) throws Exception {
            call(() -> {
                Files.write(Paths.get("/proc/sys/" + key.replace('.', '/')), value.getBytes(StandardCharsets.US_ASCII));
                return null;
            });
        }

        /** {@code ss -tanHo} inside the namespace. */
        public List<Kernel.SsRow> ss() {
            return Kernel.ss(name);
        }

        /** The ss state of the connection localPort → peerPort in this namespace, or "GONE". */
        public String state(int localPort, int peerPort) {
            return Kernel.state(name, localPort, peerPort);
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
            try {
                Kernel.run("ip", "netns", "del", name);
            } catch (RuntimeException e) {
                System.err.println("NetLab: could not delete namespace " + name + ": " + e.getMessage());
            }
        }
    }

    /**
     * Moves the calling thread into the network namespace at {@code path} with setns(2). Closes every
     * descriptor it opens.
     */
    public static void enter(String path) throws IOException {
        int fd = TestLibc.open(path, TestLibc.O_RDONLY | TestLibc.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("open " + path + ": " + Errno.name(TestLibc.errno()));
        }
        try {
            if (TestLibc.setns(fd, TestLibc.CLONE_NEWNET) < 0) {
                throw new IOException("setns " + path + ": " + Errno.name(TestLibc.errno()));
            }
        } finally {
            Libc.close(fd);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
