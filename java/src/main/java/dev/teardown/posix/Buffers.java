package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Native addresses of direct buffers, and a per-thread direct scratch buffer for heap buffers. */
public final class Buffers {
    private Buffers() {}

    public static final int SCRATCH_SIZE = 64 * 1024;

    private static final ThreadLocal<ByteBuffer> SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(SCRATCH_SIZE));
    private static final ThreadLocal<long[]> SCRATCH_ADDRESS = ThreadLocal.withInitial(() -> new long[] {0});

    /** Address of the first byte of a direct buffer (not of its position). */
    public static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    /** This thread's direct scratch buffer, cleared. */
    public static ByteBuffer scratch() {
        ByteBuffer b = SCRATCH.get();
        b.clear();
        return b;
    }

    /**
     * A small per-thread native area ({@link Sockaddr#MAX_LEN} bytes) for int out-parameters and small structs
     * (an ioctl's int, a {@code struct linger}, a sockaddr), so that such calls pass an address and neither
     * allocate nor have JNA copy an array per call. Used only
     * between a call and reading its result on the same thread.
     */
    public static final class Cell {
        private final ByteBuffer buf = ByteBuffer.allocateDirect(Sockaddr.MAX_LEN).order(ByteOrder.nativeOrder());
        /** Address of the first byte. */
        public final long address = Buffers.address(buf);

        private Cell() {}

        /** The int at {@code index} (0-3). */
        public int getInt(int index) {
            return buf.getInt(index * 4);
        }

        /** Copies the first {@code len} bytes of {@code src} (an encoded sockaddr) and returns the address. */
        public long put(byte[] src, int len) {
            buf.put(0, src, 0, len);
            return address;
        }

        /** Stores two ints (a {@code struct linger}) and returns the address. */
        public long putInts(int first, int second) {
            buf.putInt(0, first);
            buf.putInt(4, second);
            return address;
        }
    }

    private static final ThreadLocal<Cell> CELL = ThreadLocal.withInitial(Cell::new);

    /** This thread's {@link Cell}. */
    public static Cell cell() {
        return CELL.get();
    }

    /** Address of this thread's scratch buffer. */
    public static long scratchAddress() {
        long[] a = SCRATCH_ADDRESS.get();
        if (a[0] == 0) {
            a[0] = address(SCRATCH.get());
        }
        return a[0];
    }
}
