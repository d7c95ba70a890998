package dev.teardown.cli;

import dev.teardown.TcpState;
import dev.teardown.inspect.TcpTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One reading of several network namespaces: one owner scan of {@code /proc} for all of them (socket inodes are
 * unique on the machine), then each namespace's table read from a thread inside it ({@link InNetns}), two at a time.
 * A namespace that vanishes while it is read, or cannot be entered, is skipped and counted, never fatal.
 */
final class Host {
    private Host() {}

    /** One namespace's reading with its name. */
    record Section(Netns ns, NetnsName name, Census census) {}

    /** @param skipped one line per namespace that could not be read; {@code vanished} of them were gone */
    record Reading(List<Section> sections, List<String> skipped, int vanished, long nanos, long takenAtMillis) {
        OwnerScan owners() {
            return sections.isEmpty() ? null : sections.get(0).census().owners;
        }
    }

    /** The namespaces {@code --netns} names: "all", a pid or a namespace file. */
    static List<Netns> targets(String spec) {
        return spec.equals("all") ? Netns.all() : List.of(Netns.of(spec));
    }

    /**
     * Reads {@code targets}; with {@code watch}, each namespace's CLOSE_WAIT ages carry over from {@code previous}
     * (null for the first sample).
     */
    static Reading read(List<Netns> targets, boolean watch, Reading previous) {
        long start = System.nanoTime();
        long at = System.currentTimeMillis();
        CompletableFuture<OwnerScan> scan = OwnerScan.scan();
        Map<Long, Census> before = new HashMap<>();
        if (previous != null) {
            for (Section s : previous.sections) {
                before.put(s.ns.inode(), s.census);
            }
        }
        long host = Netns.inodeOf("/proc/1/ns/net");
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(2, Math.max(1, targets.size())), r -> {
            Thread t = new Thread(r, "teardown-netns-reader");
            t.setDaemon(true);
            return t;
        });
        List<Future<Object>> futures = new ArrayList<>();
        try {
            for (Netns ns : targets) {
                futures.add(pool.submit(() -> {
                    try {
                        Census c = InNetns.call(ns, () -> Census.take(watch, before.get(ns.inode()), scan));
                        return new Section(ns, NetnsName.of(ns, host), c);
                    } catch (InNetns.Skipped s) {
                        return s;
                    }
                }));
            }
            List<Section> sections = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            int vanished = 0;
            for (Future<Object> f : futures) {
                Object o = f.get();
                if (o instanceof Section s) {
                    sections.add(s);
                } else {
                    InNetns.Skipped s = (InNetns.Skipped) o;
                    skipped.add(s.getMessage());
                    vanished += s.vanished ? 1 : 0;
                }
            }
            long began = sections.isEmpty() ? start : Math.min(start, sections.get(0).census().owners.startedAtNanos());
            return new Reading(sections, skipped, vanished, System.nanoTime() - began, at);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the namespaces", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The other namespaces at a glance, for the report of one: how many hold TCP sockets, how many sockets, how many
     * of those in CLOSE_WAIT and in how many namespaces. Counted by the kernel (no owner scan).
     */
    record Others(int namespaces, int withSockets, long sockets, long closeWait, int withCloseWait, int skipped, long nanos) {}

    static Others others(long self) {
        long start = System.nanoTime();
        int namespaces = 0;
        int withSockets = 0;
        long sockets = 0;
        long closeWait = 0;
        int withCloseWait = 0;
        int skipped = 0;
        for (Netns ns : Netns.all()) {
            if (ns.inode() == self) {
                continue;
            }
            namespaces++;
            try {
                Map<TcpState, Integer> counts = InNetns.call(ns, TcpTable::counts);
                long n = 0;
                for (int v : counts.values()) {
                    n += v;
                }
                int cw = counts.getOrDefault(TcpState.CLOSE_WAIT, 0);
                sockets += n;
                withSockets += n > 0 ? 1 : 0;
                closeWait += cw;
                withCloseWait += cw > 0 ? 1 : 0;
            } catch (InNetns.Skipped s) {
                skipped++;
            }
        }
        return new Others(namespaces, withSockets, sockets, closeWait, withCloseWait, skipped, System.nanoTime() - start);
    }
}
