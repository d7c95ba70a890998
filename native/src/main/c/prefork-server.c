/*
 * prefork-server: the classic CLOSE_WAIT leak, on purpose.
 *
 * The parent accepts a connection, forks a child to serve it, and KEEPS its own copy of the
 * accepted descriptor (in a list, released only after --hold-ms or at exit). The child reads
 * the request, writes a short reply once, reads on until the client's EOF and calls close().
 * Because the parent still refers to the socket, that close() sends nothing: the server side
 * stays in CLOSE_WAIT and the client in FIN_WAIT2. With --fix the child calls
 * shutdown(SHUT_RDWR) before close(), which sends the FIN whoever else holds the socket.
 *
 * Output (stdout, one event per line, line-buffered):
 *   LISTENING <addr> <port>
 *   ACCEPTED fd=<n> peer=<addr> <port>
 *   FORKED fd=<n> child=<pid>
 *   CLOSED child=<pid> fd=<n> peer=<addr> <port> via=close|shutdown+close   (from the child)
 *   REAPED child=<pid> status=exit:<code>|signal:<sig>
 *   RELEASED fd=<n> peer=<addr> <port>                  (the parent closes its copy)
 *   STOPPING held=<n> children=<n>
 *   STOPPED
 */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NEVER UINT64_MAX

struct held {
    int fd;             /* the parent's copy of the connection, -1 once released */
    pid_t child;        /* the serving child, 0 once reaped */
    uint64_t release_at; /* CLOCK_MONOTONIC ns when the parent closes its copy, or NEVER */
    char peer[INET6_ADDRSTRLEN];
    unsigned peer_port;
};

static struct held *held;
static size_t nheld, capheld;

static const char usage_text[] =
    "usage: prefork-server [options]\n"
    "  -a, --address ADDR   numeric IPv4 or IPv6 address to listen on (default 127.0.0.1)\n"
    "  -p, --port PORT      port, 0 = chosen by the kernel (default 0)\n"
    "      --fix            the child calls shutdown(SHUT_RDWR) before close()\n"
    "      --reply TEXT     reply written once after the first bytes read (default \"OK\\n\")\n"
    "      --no-reply       write no reply\n"
    "      --hold-ms MS     the parent closes its copy MS ms after the fork\n"
    "                       (default: keeps it until SIGTERM/SIGINT; 0 = the correct pattern)\n"
    "  -b, --backlog N      listen backlog (default 128)\n"
    "  -h, --help           this text\n"
    "Prints LISTENING <addr> <port> first; stops cleanly on SIGTERM or SIGINT.\n";

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void emit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vprintf(fmt, ap);
    va_end(ap);
    if (r < 0 || fflush(stdout) != 0) {
        warn_err("write stdout", errno);
    }
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            warn_err("child: write reply", errno);
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Runs in the child: serve one connection, then close it (with the fix: shutdown first). */
static void serve(int fd, bool fix, const char *reply, const char *peer, unsigned peer_port)
{
    char buf[4096];
    bool replied = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            warn_err("child: read", errno);
            break;
        }
        if (n == 0) {
            break; /* the client's FIN */
        }
        if (!replied && reply[0] != '\0') {
            write_all(fd, reply, strlen(reply));
            replied = true;
        }
    }
    if (fix && shutdown(fd, SHUT_RDWR) != 0) {
        warn_err("child: shutdown(SHUT_RDWR)", errno);
    }
    /* Never retried, not even on EINTR: the descriptor is released either way. */
    if (close(fd) != 0) {
        warn_err("child: close", errno);
    }
    emit("CLOSED child=%ld fd=%d peer=%s %u via=%s\n", (long)getpid(), fd, peer, peer_port,
         fix ? "shutdown+close" : "close");
}

static void release(struct held *h)
{
    if (h->fd < 0) {
        return;
    }
    int fd = h->fd;
    h->fd = -1;
    if (close(fd) != 0) {
        warn_err("close (parent's copy)", errno);
    }
    emit("RELEASED fd=%d peer=%s %u\n", fd, h->peer, h->peer_port);
}

static void compact(void)
{
    size_t j = 0;
    for (size_t i = 0; i < nheld; i++) {
        if (held[i].fd >= 0 || held[i].child > 0) {
            held[j++] = held[i];
        }
    }
    nheld = j;
}

static void report_reaped(pid_t pid, int status)
{
    if (WIFEXITED(status)) {
        emit("REAPED child=%ld status=exit:%d\n", (long)pid, WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        emit("REAPED child=%ld status=signal:%d\n", (long)pid, WTERMSIG(status));
    } else {
        emit("REAPED child=%ld status=other:%d\n", (long)pid, status);
    }
    for (size_t i = 0; i < nheld; i++) {
        if (held[i].child == pid) {
            held[i].child = 0;
        }
    }
}

static void reap(bool block)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != ECHILD) {
                warn_err("waitpid", errno);
            }
            return;
        }
        if (pid == 0) {
            return;
        }
        report_reaped(pid, status);
    }
}

int main(int argc, char **argv)
{
    set_progname(argv[0]);
    const char *address = "127.0.0.1";
    unsigned long port = 0, backlog = 128, hold_ms = 0;
    bool hold_forever = true, fix = false;
    const char *reply = "OK\n";

    enum { OPT_FIX = 256, OPT_REPLY, OPT_NO_REPLY, OPT_HOLD_MS };
    static const struct option longopts[] = {
        {"address", required_argument, NULL, 'a'},
        {"port", required_argument, NULL, 'p'},
        {"backlog", required_argument, NULL, 'b'},
        {"fix", no_argument, NULL, OPT_FIX},
        {"reply", required_argument, NULL, OPT_REPLY},
        {"no-reply", no_argument, NULL, OPT_NO_REPLY},
        {"hold-ms", required_argument, NULL, OPT_HOLD_MS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "a:p:b:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            address = optarg;
            break;
        case 'p':
            if (parse_ulong(optarg, 0, 65535, &port) != 0) {
                die("--port wants 0-65535, got '%s'", optarg);
            }
            break;
        case 'b':
            if (parse_ulong(optarg, 1, INT_MAX, &backlog) != 0) {
                die("--backlog wants a positive integer, got '%s'", optarg);
            }
            break;
        case OPT_FIX:
            fix = true;
            break;
        case OPT_REPLY:
            reply = optarg;
            break;
        case OPT_NO_REPLY:
            reply = "";
            break;
        case OPT_HOLD_MS:
            if (parse_ulong(optarg, 0, 86400000ul, &hold_ms) != 0) {
                die("--hold-ms wants milliseconds (0-86400000), got '%s'", optarg);
            }
            hold_forever = false;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        die("unexpected argument '%s' (see --help)", argv[optind]);
    }
    struct endpoint ep;
    if (parse_endpoint(address, (unsigned)port, &ep) != 0) {
        return 2;
    }
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0) {
        die("setvbuf failed");
    }

    /* A child writing to a client that has gone must see EPIPE, not die of SIGPIPE. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    if (sigemptyset(&ign.sa_mask) != 0 || sigaction(SIGPIPE, &ign, NULL) != 0) {
        die_err("sigaction(SIGPIPE)", errno);
    }

    sigset_t handled, old_mask;
    if (sigemptyset(&handled) != 0 || sigaddset(&handled, SIGTERM) != 0 ||
        sigaddset(&handled, SIGINT) != 0 || sigaddset(&handled, SIGCHLD) != 0) {
        die_err("sigset", errno);
    }
    if (sigprocmask(SIG_BLOCK, &handled, &old_mask) != 0) {
        die_err("sigprocmask", errno);
    }
    int sfd = signalfd(-1, &handled, SFD_CLOEXEC);
    if (sfd < 0) {
        die_err("signalfd", errno);
    }

    int lfd = open_listener(&ep, (int)backlog, SOCK_NONBLOCK);
    print_listening(lfd);
    pid_t parent = getpid();

    bool stopping = false;
    while (!stopping) {
        /* Release the copies whose hold time has passed; compute the next deadline. */
        uint64_t now = now_ns(), next = NEVER;
        for (size_t i = 0; i < nheld; i++) {
            if (held[i].fd >= 0 && held[i].release_at != NEVER) {
                if (held[i].release_at <= now) {
                    release(&held[i]);
                } else if (held[i].release_at < next) {
                    next = held[i].release_at;
                }
            }
        }
        compact();
        int timeout = -1;
        if (next != NEVER) {
            uint64_t ms = (next - now + 999999) / 1000000;
            timeout = ms > INT_MAX ? INT_MAX : (int)ms;
        }

        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = lfd, .events = POLLIN}};
        int r = poll(pfd, 2, timeout);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            die_err("poll", errno);
        }
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            ssize_t n = read(sfd, &si, sizeof si);
            if (n < 0) {
                if (errno != EINTR && errno != EAGAIN) {
                    die_err("read signalfd", errno);
                }
            } else if (n != (ssize_t)sizeof si) {
                die("short read from signalfd");
            } else if (si.ssi_signo == SIGCHLD) {
                reap(false);
                compact();
            } else {
                stopping = true;
            }
        }
        if (stopping || !(pfd[1].revents & POLLIN)) {
            continue;
        }

        struct sockaddr_storage peer_addr;
        socklen_t peer_len = sizeof peer_addr;
        int cfd = accept4(lfd, (struct sockaddr *)&peer_addr, &peer_len, SOCK_CLOEXEC);
        if (cfd < 0) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) {
                continue;
            }
            warn_err("accept4", err);
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                /* Out of descriptors is what this bug leads to: say so and slow down. */
                struct timespec pause = {0, 100 * 1000 * 1000};
                nanosleep(&pause, NULL);
                continue;
            }
            return 1;
        }
        if (nheld == capheld) {
            size_t cap = capheld ? capheld * 2 : 64;
            struct held *grown = realloc(held, cap * sizeof *grown);
            if (grown == NULL) {
                die_err("realloc", ENOMEM);
            }
            held = grown;
            capheld = cap;
        }
        struct held *h = &held[nheld];
        h->fd = cfd;
        h->child = 0;
        h->release_at = hold_forever ? NEVER : now_ns() + (uint64_t)hold_ms * 1000000u;
        format_sockaddr((struct sockaddr *)&peer_addr, h->peer, sizeof h->peer, &h->peer_port);
        emit("ACCEPTED fd=%d peer=%s %u\n", cfd, h->peer, h->peer_port);

        pid_t pid = fork();
        if (pid < 0) {
            warn_err("fork", errno);
            if (close(cfd) != 0) {
                warn_err("close", errno);
            }
            continue;
        }
        if (pid == 0) {
            /* Child: keep only the connection it serves. */
            if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
                warn_err("prctl(PR_SET_PDEATHSIG)", errno);
            }
            if (getppid() != parent) {
                _exit(1);
            }
            if (close(sfd) != 0) {
                warn_err("child: close signalfd", errno);
            }
            if (close(lfd) != 0) {
                warn_err("child: close listener", errno);
            }
            for (size_t i = 0; i < nheld; i++) {
                if (held[i].fd >= 0 && close(held[i].fd) != 0) {
                    warn_err("child: close inherited connection", errno);
                }
            }
            if (sigprocmask(SIG_SETMASK, &old_mask, NULL) != 0) {
                warn_err("child: sigprocmask", errno);
            }
            serve(cfd, fix, reply, h->peer, h->peer_port);
            _exit(0);
        }
        h->child = pid;
        nheld++;
        /* THE BUG: the parent keeps cfd open (in `held`) while the child serves it. */
        emit("FORKED fd=%d child=%ld\n", cfd, (long)pid);
    }

    size_t nfds = 0, nchildren = 0;
    for (size_t i = 0; i < nheld; i++) {
        nfds += held[i].fd >= 0;
        nchildren += held[i].child > 0;
    }
    emit("STOPPING held=%zu children=%zu\n", nfds, nchildren);
    for (size_t i = 0; i < nheld; i++) {
        if (held[i].child > 0 && kill(held[i].child, SIGTERM) != 0 && errno != ESRCH) {
            warn_err("kill(child, SIGTERM)", errno);
        }
        release(&held[i]);
    }
    if (close(lfd) != 0) {
        warn_err("close listener", errno);
    }
    reap(true);
    if (close(sfd) != 0) {
        warn_err("close signalfd", errno);
    }
    free(held);
    emit("STOPPED\n");
    return 0;
}
