package dev.teardown.inspect;

import dev.teardown.TcpException;
import dev.teardown.posix.NetNamespace;

/**
 * Reading another network namespace (a container's, a pod's): {@link #enter} moves the calling thread into it with
 * {@code setns(2)}, so that every {@link TcpTable} call and every {@link KernelTcpSettings#read()} made on that thread
 * afterwards reads that namespace (the netlink socket, {@code /proc/thread-self/net} and {@code /proc/sys/net} follow
 * the thread). Only the calling thread moves, and there is no way back short of entering the old namespace again: give
 * the reading a thread of its own and let it end. Needs CAP_SYS_ADMIN (root). Linux only.
 */
public final class NetworkNamespace {
    private NetworkNamespace() {}

    /**
     * Moves the calling thread into the network namespace that {@code path} refers to: {@code /proc/PID/ns/net} of a
     * process in it, or a bind mount such as {@code /run/netns/NAME}.
     *
     * @return false, without moving, when the file is gone (its process exited, the name was deleted)
     * @throws TcpException naming the call and errno: EPERM without CAP_SYS_ADMIN, EINVAL when {@code path} is not
     *     a network namespace
     * @throws IllegalArgumentException if {@code path} is empty or holds a NUL
     * @throws UnsupportedOperationException on a platform other than Linux
     */
    public static boolean enter(String path) throws TcpException {
        try {
            NetNamespace.enter(path);
            return true;
        } catch (NetNamespace.Failure f) {
            if (f.vanished()) {
                return false;
            }
            throw TcpException.of(f.call, f.errno);
        }
    }
}
