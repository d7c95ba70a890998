package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

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

    /** Address of this thread's scratch buffer. */
    public static long scratchAddress() {
        long[] a = SCRATCH_ADDRESS.get();
        if (a[0] == 0) {
            a[0] = address(SCRATCH.get());
        }
        return a[0];
    }
}
