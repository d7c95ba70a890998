/*
 * accept-close-listener: the one peer every benchmark client (C churn, teardown, the JDK)
 * connects to, so that all of them meet the same server. Worker threads share one
 * non-blocking listening socket, each in its own epoll set (EPOLLEXCLUSIVE), and treat each
 * accepted connection as the mode chosen at start says:
 *
 *   wait-for-client       read until EOF, echoing every byte read, then close: the client
 *                         closes first. ECONNRESET (an aborting client) also ends it.
 *   close-first           close right after accept, reading nothing: the server closes first.
 *   echo-byte-then-close  wait for the client's first bytes, echo them, then close: the server
 *                         closes first, after the 1-byte exchange.
 *
 * Output (stdout): LISTENING <addr> <port> first; on SIGTERM/SIGINT a final
 *   STATS mode=<m> accepted=<n> closed=<n> open=<n> echoed_bytes=<n> resets=<n> eofs_before_byte=<n> errors=<n>
 * then exit 0. Errors are described on stderr.
 */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { WAIT_FOR_CLIENT, CLOSE_FIRST, ECHO_BYTE_THEN_CLOSE };
static const char *const mode_names[] = {"wait-for-client", "close-first", "echo-byte-then-close"};

enum op { OP_ACCEPT, OP_EPOLL_CTL, OP_READ, OP_WRITE, OP_CLOSE, OP_COUNT };
static const char *const op_names[] = {"accept4", "epoll_ctl", "read", "write", "close"};
#define NERR 256

struct worker {
    pthread_t thread;
    int epfd;
    unsigned long accepted, closed, echoed, resets, early_eofs;
    unsigned long errs[OP_COUNT][NERR];
};

static enum mode mode = WAIT_FOR_CLIENT;
static int lfd = -1, stopfd = -1;

static const char usage_text[] =
    "usage: accept-close-listener [options]\n"
    "  -m, --mode MODE      wait-for-client | close-first | echo-byte-then-close\n"
    "                       (default wait-for-client)\n"
    "  -a, --address ADDR   numeric IPv4 or IPv6 address (default 127.0.0.1)\n"
    "  -p, --port PORT      port, 0 = chosen by the kernel (default 0)\n"
    "  -t, --threads N      accepting threads (default: online CPUs)\n"
    "  -b, --backlog N      listen backlog (default 4096)\n"
    "  -h, --help           this text\n"
    "Prints LISTENING <addr> <port> first and a STATS line when stopped by SIGTERM/SIGINT.\n"
    "Peer for churn: wait-for-client <- client-first, abort, graceful (with or without -x);\n"
    "close-first <- server-first; echo-byte-then-close <- server-first -x.\n";

static void count_err(struct worker *w, enum op op, int err)
{
    w->errs[op][(err > 0 && err < NERR) ? err : NERR - 1]++;
}

static void close_conn(struct worker *w, int fd)
{
    /* Never retried, not even on EINTR. Closing the last reference also leaves the epoll set. */
    if (close(fd) != 0) {
        count_err(w, OP_CLOSE, errno);
    }
    w->closed++;
}

static void echo(struct worker *w, int fd, const char *buf, size_t len)
{
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
        count_err(w, OP_WRITE, errno);
    } else {
        w->echoed += (unsigned long)n;
        if ((size_t)n < len) {
            count_err(w, OP_WRITE, EAGAIN); /* short echo: the client is not reading */
        }
    }
}

/* The connection fd is readable (level-triggered). */
static void on_readable(struct worker *w, int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            echo(w, fd, buf, (size_t)n);
            if (mode == ECHO_BYTE_THEN_CLOSE) {
                close_conn(w, fd);
                return;
            }
            continue;
        }
        if (n == 0) {
            if (mode == ECHO_BYTE_THEN_CLOSE) {
                w->early_eofs++;
            }
            close_conn(w, fd);
            return;
        }
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            return;
        }
        if (err == EINTR) {
            continue;
        }
        if (err == ECONNRESET) {
            w->resets++; /* an aborting client: expected, not an error */
        } else {
            count_err(w, OP_READ, err);
        }
        close_conn(w, fd);
        return;
    }
}

static void on_acceptable(struct worker *w)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK) {
                return;
            }
            if (err == EINTR || err == ECONNABORTED) {
                continue;
            }
            count_err(w, OP_ACCEPT, err);
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                struct timespec pause = {0, 10 * 1000 * 1000};
                nanosleep(&pause, NULL);
            }
            return;
        }
        w->accepted++;
        if (mode == CLOSE_FIRST) {
            close_conn(w, fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            count_err(w, OP_EPOLL_CTL, errno);
            close_conn(w, fd);
        }
    }
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die_err("epoll_wait", errno);
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == stopfd) {
                return NULL;
            }
            if (fd == lfd) {
                on_acceptable(w);
            } else {
                on_readable(w, fd);
            }
        }
    }
}

int main(int argc, char **argv)
{
    set_progname(argv[0]);
    const char *address = "127.0.0.1";
    unsigned long port = 0, backlog = 4096, threads = 0;

    static const struct option longopts[] = {
        {"mode", required_argument, NULL, 'm'},
        {"address", required_argument, NULL, 'a'},
        {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"backlog", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "m:a:p:t:b:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'm': {
            int m = -1;
            for (int i = 0; i < 3; i++) {
                if (strcmp(optarg, mode_names[i]) == 0) {
                    m = i;
                }
            }
            if (m < 0) {
                die("unknown --mode '%s': use wait-for-client, close-first or echo-byte-then-close",
                    optarg);
            }
            mode = (enum mode)m;
            break;
        }
        case 'a':
            address = optarg;
            break;
        case 'p':
            if (parse_ulong(optarg, 0, 65535, &port) != 0) {
                die("--port wants 0-65535, got '%s'", optarg);
            }
            break;
        case 't':
            if (parse_ulong(optarg, 1, 256, &threads) != 0) {
                die("--threads wants 1-256, got '%s'", optarg);
            }
            break;
        case 'b':
            if (parse_ulong(optarg, 1, INT_MAX, &backlog) != 0) {
                die("--backlog wants a positive integer, got '%s'", optarg);
            }
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
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (unsigned long)cpus : 1;
        if (threads > 256) {
            threads = 256;
        }
    }
    struct endpoint ep;
    if (parse_endpoint(address, (unsigned)port, &ep) != 0) {
        return 2;
    }
    sigset_t stop_signals;
    setup_stdout_and_signals(&stop_signals);
    int r;

    lfd = open_listener(&ep, (int)backlog, SOCK_NONBLOCK);
    stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stopfd < 0) {
        die_err("eventfd", errno);
    }
    struct worker *ws = calloc(threads, sizeof *ws);
    if (ws == NULL) {
        die_err("calloc", ENOMEM);
    }
    for (unsigned long i = 0; i < threads; i++) {
        ws[i].epfd = epoll_create1(EPOLL_CLOEXEC);
        if (ws[i].epfd < 0) {
            die_err("epoll_create1", errno);
        }
        struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = lfd};
        if (epoll_ctl(ws[i].epfd, EPOLL_CTL_ADD, lfd, &lev) != 0) {
            die_err("epoll_ctl(listener)", errno);
        }
        struct epoll_event sev = {.events = EPOLLIN, .data.fd = stopfd};
        if (epoll_ctl(ws[i].epfd, EPOLL_CTL_ADD, stopfd, &sev) != 0) {
            die_err("epoll_ctl(eventfd)", errno);
        }
    }
    for (unsigned long i = 0; i < threads; i++) {
        if ((r = pthread_create(&ws[i].thread, NULL, run_worker, &ws[i])) != 0) {
            die_err("pthread_create", r);
        }
    }
    print_listening(lfd);

    int sig;
    if ((r = sigwait(&stop_signals, &sig)) != 0) {
        die_err("sigwait", r);
    }
    uint64_t one = 1;
    if (write(stopfd, &one, sizeof one) != (ssize_t)sizeof one) {
        die_err("write eventfd", errno);
    }
    unsigned long accepted = 0, closed = 0, echoed = 0, resets = 0, early = 0, errors = 0;
    for (unsigned long i = 0; i < threads; i++) {
        if ((r = pthread_join(ws[i].thread, NULL)) != 0) {
            die_err("pthread_join", r);
        }
        accepted += ws[i].accepted;
        closed += ws[i].closed;
        echoed += ws[i].echoed;
        resets += ws[i].resets;
        early += ws[i].early_eofs;
        if (close(ws[i].epfd) != 0) {
            warn_err("close epoll", errno);
        }
    }
    for (int op = 0; op < OP_COUNT; op++) {
        for (int e = 0; e < NERR; e++) {
            unsigned long n = 0;
            for (unsigned long i = 0; i < threads; i++) {
                n += ws[i].errs[op][e];
            }
            if (n > 0) {
                errors += n;
                fprintf(stderr, "%s: %s: %s (%s): %lu times\n", progname(), op_names[op],
                        strerror(e), errno_name(e), n);
            }
        }
    }
    printf("STATS mode=%s accepted=%lu closed=%lu open=%lu echoed_bytes=%lu resets=%lu "
           "eofs_before_byte=%lu errors=%lu\n",
           mode_names[mode], accepted, closed, accepted - closed, echoed, resets, early, errors);
    if (fflush(stdout) != 0) {
        warn_err("write stdout", errno);
    }
    /* Connections still open are released by exit. */
    if (close(lfd) != 0) {
        warn_err("close listener", errno);
    }
    if (close(stopfd) != 0) {
        warn_err("close eventfd", errno);
    }
    free(ws);
    return 0;
}
