package dev.teardown.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Virtual threads for a module compiled for JDK 17: {@code Thread.startVirtualThread} and {@code Thread.isVirtual}
 * looked up once through method handles. {@link #AVAILABLE} is false on a JDK before 21.
 */
final class VirtualThreads {
    private VirtualThreads() {}

    private static final MethodHandle START;
    private static final MethodHandle IS_VIRTUAL;
    static final boolean AVAILABLE;

    static {
        MethodHandle start = null;
        MethodHandle isVirtual = null;
        try {
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            start = l.findStatic(Thread.class, "startVirtualThread", MethodType.methodType(Thread.class, Runnable.class));
            isVirtual = l.findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            // JDK 17-20: no virtual threads
        }
        START = start;
        IS_VIRTUAL = isVirtual;
        AVAILABLE = start != null;
    }

    /** Starts {@code r} in a new virtual thread. */
    static Thread start(Runnable r) {
        if (!AVAILABLE) {
            throw new UnsupportedOperationException("virtual threads need a JDK 21+ (this is "
                    + System.getProperty("java.version") + ")");
        }
        try {
            return (Thread) START.invokeExact(r);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static boolean isVirtual(Thread t) {
        try {
            return AVAILABLE && (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (Throwable e) {
            return false;
        }
    }

    /** Starts {@code r} in a new virtual thread, or a new daemon platform thread. */
    static Thread start(boolean virtual, Runnable r) {
        if (virtual) {
            return start(r);
        }
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
