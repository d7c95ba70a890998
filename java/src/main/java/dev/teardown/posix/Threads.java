package dev.teardown.posix;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Virtual threads (JDK 21+) for code compiled for Java 17: whether a thread is one, and starting one. */
public final class Threads {
    private Threads() {}

    private static final MethodHandle IS_VIRTUAL = find("isVirtual", MethodType.methodType(boolean.class), false);
    private static final MethodHandle START_VIRTUAL =
            find("startVirtualThread", MethodType.methodType(Thread.class, Runnable.class), true);

    /** Whether this JDK has virtual threads. */
    public static final boolean VIRTUAL_THREADS = IS_VIRTUAL != null && START_VIRTUAL != null;

    private static MethodHandle find(String name, MethodType type, boolean isStatic) {
        try {
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            return isStatic ? l.findStatic(Thread.class, name, type) : l.findVirtual(Thread.class, name, type);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // JDK 17-20: no virtual threads
        }
    }

    /** True if the current thread is a virtual thread. */
    public static boolean currentIsVirtual() {
        MethodHandle h = IS_VIRTUAL;
        if (h == null) {
            return false;
        }
        try {
            return (boolean) h.invokeExact(Thread.currentThread());
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Starts {@code task} on a new virtual thread named {@code name}. Only where {@link #VIRTUAL_THREADS}. */
    static Thread startVirtual(Runnable task, String name) {
        try {
            Thread t = (Thread) START_VIRTUAL.invokeExact(task);
            t.setName(name);
            return t;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
