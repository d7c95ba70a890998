package dev.teardown.posix;

/**
 * The portable poller (macOS and other systems without epoll; compiled in, untested here): one daemon
 * thread polls every armed descriptor plus a wake-up pipe, and forgets a descriptor once it reported ready
 * (one-shot, like the epoll poller). Arming a new descriptor wakes the loop so it is polled at once.
 */
final class PollPoller extends Poller {
    private final short events;
    private final Waker wake;

    PollPoller(short events, String name) {
        this.events = events;
        int[] err = new int[1];
        Waker w = Waker.create(err);
        if (w == null) {
            throw new IllegalStateException("teardown: no wake-up pipe for the poller: " + Errno.name(err[0]));
        }
        this.wake = w; // lives as long as the poller, i.e. the JVM
        daemon(this::loop, name);
    }

    @Override
    int register(int fd) {
        wake.signal();
        return 0;
    }

    @Override
    void unregister(int fd) {
        wake.signal();
    }

    private void loop() {
        int[] pfd = new int[2];
        for (;;) {
            Integer[] fds = waiting.keySet().toArray(new Integer[0]);
            if (pfd.length < 2 * (fds.length + 1)) {
                pfd = new int[2 * (fds.length + 1) * 2];
            }
            pfd[0] = wake.readFd;
            pfd[1] = Os.POLLIN;
            for (int i = 0; i < fds.length; i++) {
                pfd[2 * i + 2] = fds[i];
                pfd[2 * i + 3] = events;
            }
            int n = Libc.poll(pfd, fds.length + 1, -1);
            if (n < 0) {
                continue; // EINTR; anything else shows up again and is logged by the caller's timeout
            }
            if ((pfd[1] >>> 16) != 0) {
                wake.drain();
            }
            for (int i = 0; i < fds.length; i++) {
                if ((pfd[2 * i + 3] >>> 16) != 0) {
                    ready(fds[i]);
                }
            }
        }
    }
}
