package dev.teardown.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The Linux poller: one epoll instance, one-shot registrations, one daemon thread in epoll_wait. */
final class EpollPoller extends Poller {
    private static final int MAX_EVENTS = 256;

    private final int epfd;
    private final int interest;

    EpollPoller(int events, String name) {
        this.interest = events | Os.EPOLLONESHOT;
        this.epfd = LinuxLibc.epoll_create1(Os.EPOLL_CLOEXEC);
        if (epfd < 0) {
            int e = Libc.errno();
            throw new IllegalStateException("teardown: epoll_create1 for the poller failed: " + Errno.name(e) + " ("
                    + Errno.describe(e) + ")");
        }
        daemon(this::loop, name);
    }

    @Override
    int register(int fd) {
        try (Buffers.Cell ev = Buffers.cell()) {
            ev.putInt(0, interest);
            ev.putLong(Os.EPOLL_DATA_OFFSET, fd);
            if (LinuxLibc.epoll_ctl(epfd, Os.EPOLL_CTL_MOD, fd, ev.address) == 0) {
                return 0;
            }
            int e = Libc.errno();
            if (e != Errno.ENOENT) {
                return e;
            }
            return LinuxLibc.epoll_ctl(epfd, Os.EPOLL_CTL_ADD, fd, ev.address) == 0 ? 0 : Libc.errno();
        }
    }

    @Override
    void unregister(int fd) {
        LinuxLibc.epoll_ctl(epfd, Os.EPOLL_CTL_DEL, fd, 0); // ENOENT: never registered here
    }

    private void loop() {
        ByteBuffer events = ByteBuffer.allocateDirect(MAX_EVENTS * Os.EPOLL_EVENT_SIZE).order(ByteOrder.nativeOrder());
        long address = Buffers.address(events);
        for (;;) {
            int n = LinuxLibc.epoll_wait(epfd, address, MAX_EVENTS, -1);
            if (n < 0) {
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                System.getLogger("dev.teardown").log(System.Logger.Level.ERROR,
                        "teardown: epoll_wait failed: " + Errno.name(e) + "; the poller stops");
                return;
            }
            for (int i = 0; i < n; i++) {
                ready((int) events.getLong(i * Os.EPOLL_EVENT_SIZE + Os.EPOLL_DATA_OFFSET));
            }
        }
    }
}
