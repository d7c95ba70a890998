package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Files held open through a race, whose descriptor numbers must keep naming them: a library that used or
 * closed a number after releasing it would sooner or later hit one. {@link #churn} also opens and closes
 * files all through a run, so that numbers the sockets free are taken by files at once.
 */
final class Canaries implements AutoCloseable {
    /** A file held open through the test; its descriptor number must keep naming it. */
    record Canary(Path path, FileChannel channel, int fd, byte[] content) {}

    private final List<Canary> list;

    private Canaries(List<Canary> list) {
        this.list = list;
    }

    List<Canary> list() {
        return list;
    }

    int size() {
        return list.size();
    }

    /** Opens {@code n} canary files in {@code dir}, each with random content, and finds each one's descriptor. */
    static Canaries open(Path dir, int n) throws IOException {
        List<Canary> out = new ArrayList<>();
        Random r = new Random(7);
        for (int i = 0; i < n; i++) {
            byte[] content = new byte[1000 + i];
            r.nextBytes(content);
            Path p = Files.write(dir.resolve("canary-" + i), content).toRealPath();
            Set<Integer> before = Net.fdLinks().keySet();
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
            Set<Integer> opened = new HashSet<>();
            Net.fdLinks().forEach((fd, link) -> {
                if (link.equals(p.toString()) && !before.contains(fd)) {
                    opened.add(fd);
                }
            });
            assertEquals(1, opened.size(), "one new descriptor for the canary: " + opened);
            int fd = opened.iterator().next();
            assertEquals(p.toString(), Net.link(fd));
            out.add(new Canary(p, ch, fd, content));
        }
        return new Canaries(Collections.unmodifiableList(out));
    }

    /** Every canary's number still names its file, and the file reads back its content. */
    void check() throws IOException {
        for (Canary c : list) {
            assertEquals(c.path().toString(), Net.link(c.fd()), "canary fd " + c.fd() + " must still name its file");
            assertTrue(c.channel().isOpen());
            byte[] got = readAll(c.channel(), c.content().length + 1);
            assertArrayEquals(c.content(), got, "canary " + c.path() + " content");
        }
    }

    @Override
    public void close() throws IOException {
        for (Canary c : list) {
            c.channel().close();
        }
    }

    private static byte[] readAll(FileChannel ch, int capacity) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(capacity);
        while (ch.read(b, b.position()) > 0) {
            // read it all
        }
        byte[] got = new byte[b.flip().remaining()];
        b.get(got);
        return got;
    }

    /**
     * Opens, verifies and closes files in {@code dir} until {@code stop} says so; reports a file that read
     * back wrong (or any failure) to {@code failures} and each round to {@code round}.
     */
    static void churn(Path dir, BooleanSupplier stop, Consumer<Throwable> failures, Runnable round) {
        try {
            List<Path> files = new ArrayList<>();
            List<byte[]> contents = new ArrayList<>();
            Random r = new Random(99);
            for (int i = 0; i < 4; i++) {
                byte[] c = new byte[512];
                r.nextBytes(c);
                contents.add(c);
                files.add(Files.write(dir.resolve("churn-" + i), c));
            }
            while (!stop.getAsBoolean()) {
                int i = r.nextInt(files.size());
                try (FileChannel ch = FileChannel.open(files.get(i), StandardOpenOption.READ)) {
                    Net.sleepMillis(r.nextInt(3));
                    if (!Arrays.equals(contents.get(i), readAll(ch, 600))) {
                        failures.accept(new AssertionError("churn file " + i + " read back different content"));
                    }
                }
                round.run();
            }
        } catch (Throwable t) {
            failures.accept(t);
        }
    }
}
