package dev.teardown.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Native memory for system calls: the address of a direct buffer, a 64 KiB scratch buffer for heap
 * buffers, and a small {@link Cell} for out-parameters and structs. Both are taken with try-with-resources
 * and held only across one system call, never across a park. A platform thread keeps its own (a thread
 * local); a virtual thread borrows one from a shared pool and gives it back, so 100,000 parked virtual
 * threads hold none.
 */
public final class Buffers {
    private Buffers() {}

    public static final int SCRATCH_SIZE = 64 * 1024;

    /** Keeps the constant structs below reachable. */
    private static final ByteBuffer CONSTANTS = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());

    /**
     * The address of a native {@code struct linger {1, 0}} that is never written after this: the SO_LINGER value of
     * an abortive close, shared by every thread, so that setting it borrows nothing.
     */
    public static final long LINGER_ZERO = lingerZero();

    private static long lingerZero() {
        CONSTANTS.putInt(0, 1).putInt(4, 0);
        return address(CONSTANTS);
    }

    /** Address of the first byte of a direct buffer (not of its position). */
    public static long address(ByteBuffer direct) {
        return Libc.address(direct);
    }

    /** A direct buffer and its address; {@link #close()} gives a borrowed one back. */
    public abstract static class Borrowed implements AutoCloseable {
        final ByteBuffer buf;
        /** Address of the first byte. */
        public final long address;
        private final boolean pooled;

        Borrowed(int size, boolean pooled) {
            this.buf = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
            this.address = Buffers.address(buf);
            this.pooled = pooled;
        }

        abstract ConcurrentLinkedQueue<Borrowed> pool();

        @Override
        public void close() {
            // Held only across one system call, never across a park, so a pool holds at most as many buffers as
            // there were carrier threads borrowing at once.
            if (pooled) {
                pool().offer(this);
            }
        }
    }

    /** A 64 KiB native scratch buffer. */
    public static final class Scratch extends Borrowed {
        Scratch(boolean pooled) {
            super(SCRATCH_SIZE, pooled);
        }

        /** The buffer, cleared. */
        public ByteBuffer buffer() {
            buf.clear();
            return buf;
        }

        @Override
        ConcurrentLinkedQueue<Borrowed> pool() {
            return SCRATCH_POOL;
        }
    }

    /**
     * A small native area ({@link Sockaddr#MAX_LEN} bytes) for int out-parameters and small structs (an ioctl's
     * int, a {@code struct linger}, a sockaddr, an epoll_event), so that such calls pass an address and neither
     * allocate nor have JNA copy an array per call.
     */
    public static final class Cell extends Borrowed {
        Cell(boolean pooled) {
            super(Sockaddr.MAX_LEN, pooled);
        }

        /** The int at {@code index} (0-3). */
        public int getInt(int index) {
            return buf.getInt(index * 4);
        }

        /** Stores an int at byte {@code offset}. */
        public void putInt(int offset, int v) {
            buf.putInt(offset, v);
        }

        /** Stores a long at byte {@code offset}. */
        public void putLong(int offset, long v) {
            buf.putLong(offset, v);
        }

        /** Copies the first {@code len} bytes of {@code src} (an encoded sockaddr) and returns the address. */
        public long put(byte[] src, int len) {
            buf.put(0, src, 0, len);
            return address;
        }

        /** Stores two ints (a {@code struct linger}, a {@code struct pollfd}) and returns the address. */
        public long putInts(int first, int second) {
            buf.putInt(0, first);
            buf.putInt(4, second);
            return address;
        }

        /** Stores four ints (two {@code struct pollfd}) and returns the address. */
        public long putInts(int a, int b, int c, int d) {
            buf.putInt(0, a);
            buf.putInt(4, b);
            buf.putInt(8, c);
            buf.putInt(12, d);
            return address;
        }

        @Override
        ConcurrentLinkedQueue<Borrowed> pool() {
            return CELL_POOL;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(false));
    private static final ThreadLocal<Cell> CELL = ThreadLocal.withInitial(() -> new Cell(false));
    private static final ConcurrentLinkedQueue<Borrowed> SCRATCH_POOL = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<Borrowed> CELL_POOL = new ConcurrentLinkedQueue<>();

    /** This platform thread's scratch buffer, or one borrowed for a virtual thread. Close it after the call. */
    public static Scratch scratch() {
        if (!Threads.currentIsVirtual()) {
            return SCRATCH.get();
        }
        Borrowed s = SCRATCH_POOL.poll();
        return s != null ? (Scratch) s : new Scratch(true);
    }

    /** This platform thread's cell, or one borrowed for a virtual thread. Close it after the call. */
    public static Cell cell() {
        if (!Threads.currentIsVirtual()) {
            return CELL.get();
        }
        Borrowed c = CELL_POOL.poll();
        return c != null ? (Cell) c : new Cell(true);
    }
}
