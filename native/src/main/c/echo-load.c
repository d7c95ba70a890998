/*
 * echo-load: the client side of teardown's echo and scale benchmarks, in its own process so that the
 * JVM under test runs only its server.
 *
 * Echo mode (default): N connections, each with one message of --size bytes in flight: write it, read the
 * echo back in full, write again. Spread over --threads threads, each with its own epoll. After --warmup
 * seconds the completed round trips are counted for --duration seconds. Output, on stdout:
 *
 *   RESULT mode=echo clients=<n> size=<b> threads=<t> seconds=<s> round_trips=<n> rtt_per_sec=<n>
 *          errors=<n> min_conn_rtts=<n>                                  (one line)
 *
 * Hold mode (--hold): N idle connections, made one after another round-robin over the --address list
 * (one destination address allows only ~64k source ports), then "HELD <n> <seconds>". Commands on stdin:
 *
 *   ping   write 1 byte on the last connection, read the echo back: "PONG <ns>" (or "PONG timeout")
 *   quit   (or EOF) exit; the kernel closes every connection
 *
 * Exit status 0 after RESULT or quit, 2 for bad usage, 1 when the run cannot be set up.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65536
#define MAX_ADDRESSES 64

struct conn {
    int fd;
    unsigned size;      /* bytes of the echo still to come */
    unsigned long rtts; /* completed round trips */
};

struct worker {
    pthread_t thread;
    struct conn *conns;
    size_t n;
    int epfd;
    _Atomic unsigned long rtts;
    _Atomic unsigned long errors;
};

static unsigned msg_size = 32;
static atomic_bool stop;

static int connect_to(const struct endpoint *ep) {
    int fd = socket(ep->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die_err("socket", errno);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (connect(fd, (const struct sockaddr *)&ep->addr, ep->len) < 0) {
        if (errno != EINTR) {
            die_err("connect", errno);
        }
    }
    return fd;
}

/* Writes the whole message (blocking on a full buffer only in theory: it is tiny). */
static bool send_msg(int fd, const char *msg) {
    size_t off = 0;
    while (off < msg_size) {
        ssize_t w = send(fd, msg + off, msg_size - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return false;
        }
        off += (size_t)w;
    }
    return true;
}

static void *echo_worker(void *arg) {
    struct worker *w = arg;
    static const char msg[MAX_SIZE];
    char buf[MAX_SIZE];
    struct epoll_event evs[256];
    for (size_t i = 0; i < w->n; i++) {
        w->conns[i].size = msg_size;
        if (!send_msg(w->conns[i].fd, msg)) {
            die_err("send", errno);
        }
    }
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int k = epoll_wait(w->epfd, evs, 256, 100);
        if (k < 0 && errno != EINTR) {
            die_err("epoll_wait", errno);
        }
        unsigned long done = 0;
        for (int i = 0; i < k; i++) {
            struct conn *c = evs[i].data.ptr;
            ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                    continue;
                }
                epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL); /* EOF or error: this client stops */
                atomic_fetch_add(&w->errors, 1);
                continue;
            }
            c->size -= (unsigned)r < c->size ? (unsigned)r : c->size;
            if (c->size == 0) {
                c->size = msg_size;
                c->rtts++;
                done++;
                if (!send_msg(c->fd, msg)) {
                    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
                    atomic_fetch_add(&w->errors, 1);
                }
            }
        }
        atomic_fetch_add_explicit(&w->rtts, done, memory_order_relaxed);
    }
    return NULL;
}

static unsigned long total(struct worker *ws, unsigned threads) {
    unsigned long s = 0;
    for (unsigned t = 0; t < threads; t++) {
        s += atomic_load(&ws[t].rtts);
    }
    return s;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static int run_echo(const struct endpoint *ep, unsigned long clients, unsigned threads, double warmup, double duration) {
    struct conn *conns = calloc(clients, sizeof *conns);
    struct worker *ws = calloc(threads, sizeof *ws);
    if (conns == NULL || ws == NULL) {
        die("out of memory");
    }
    for (unsigned long i = 0; i < clients; i++) {
        conns[i].fd = connect_to(ep);
    }
    size_t per = clients / threads, extra = clients % threads, off = 0;
    for (unsigned t = 0; t < threads; t++) {
        struct worker *w = &ws[t];
        w->conns = conns + off;
        w->n = per + (t < extra ? 1 : 0);
        off += w->n;
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (w->epfd < 0) {
            die_err("epoll_create1", errno);
        }
        for (size_t i = 0; i < w->n; i++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->conns[i]};
            if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->conns[i].fd, &ev) < 0) {
                die_err("epoll_ctl", errno);
            }
        }
    }
    for (unsigned t = 0; t < threads; t++) {
        int e = pthread_create(&ws[t].thread, NULL, echo_worker, &ws[t]);
        if (e != 0) {
            die_err("pthread_create", e);
        }
    }
    sleep_s(warmup);
    unsigned long c0 = total(ws, threads);
    uint64_t t0 = now_ns();
    sleep_s(duration);
    unsigned long c1 = total(ws, threads);
    uint64_t t1 = now_ns();
    atomic_store(&stop, true);
    unsigned long errors = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(ws[t].thread, NULL);
        errors += atomic_load(&ws[t].errors);
    }
    unsigned long min_rtts = (unsigned long)-1;
    for (unsigned long i = 0; i < clients; i++) {
        min_rtts = conns[i].rtts < min_rtts ? conns[i].rtts : min_rtts;
    }
    double secs = (double)(t1 - t0) / 1e9;
    printf("RESULT mode=echo clients=%lu size=%u threads=%u seconds=%.3f round_trips=%lu rtt_per_sec=%.0f errors=%lu "
           "min_conn_rtts=%lu\n",
           clients, msg_size, threads, secs, c1 - c0, (double)(c1 - c0) / secs, errors, min_rtts);
    return 0;
}

/* One round trip of 1 byte on fd, at most 10 s; returns the time in ns, or 0 on timeout or error. */
static uint64_t ping(int fd) {
    char b = 'p';
    uint64_t t0 = now_ns();
    if (send(fd, &b, 1, MSG_NOSIGNAL) != 1) {
        return 0;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 10000) != 1 || recv(fd, &b, 1, 0) != 1) {
        return 0;
    }
    return now_ns() - t0;
}

static int run_hold(struct endpoint *eps, unsigned naddr, unsigned long clients) {
    int *fds = malloc(clients * sizeof *fds);
    if (fds == NULL) {
        die("out of memory");
    }
    uint64_t t0 = now_ns();
    for (unsigned long i = 0; i < clients; i++) {
        fds[i] = connect_to(&eps[i % naddr]);
    }
    printf("HELD %lu %.3f\n", clients, (double)(now_ns() - t0) / 1e9);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (strncmp(line, "ping", 4) == 0) {
            uint64_t ns = ping(fds[clients - 1]);
            if (ns == 0) {
                printf("PONG timeout\n");
            } else {
                printf("PONG %llu\n", (unsigned long long)ns);
            }
            fflush(stdout);
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        }
    }
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: echo-load --port P [--address A] --clients N [--size B] [--threads T] [--warmup S] [--duration S]\n"
            "       echo-load --hold --port P [--address A[,A...]] --clients N\n");
    exit(2);
}

int main(int argc, char **argv) {
    set_progname("echo-load");
    static const struct option longopts[] = {
        {"address", required_argument, NULL, 'a'}, {"port", required_argument, NULL, 'p'},
        {"clients", required_argument, NULL, 'c'}, {"size", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"warmup", required_argument, NULL, 'w'},
        {"duration", required_argument, NULL, 'd'}, {"hold", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    char *addresses = "127.0.0.1";
    unsigned long port = 0, clients = 1, size = 32, threads = 1;
    double warmup = 1, duration = 3;
    bool hold = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "a:p:c:s:t:w:d:Hh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a': addresses = optarg; break;
        case 'p': if (parse_ulong(optarg, 1, 65535, &port) < 0) usage(); break;
        case 'c': if (parse_ulong(optarg, 1, 10000000, &clients) < 0) usage(); break;
        case 's': if (parse_ulong(optarg, 1, MAX_SIZE, &size) < 0) usage(); break;
        case 't': if (parse_ulong(optarg, 1, 64, &threads) < 0) usage(); break;
        case 'w': if (parse_seconds(optarg, &warmup) < 0) usage(); break;
        case 'd': if (parse_seconds(optarg, &duration) < 0) usage(); break;
        case 'H': hold = true; break;
        default: usage();
        }
    }
    if (port == 0 || optind != argc) {
        usage();
    }
    msg_size = (unsigned)size;
    struct endpoint eps[MAX_ADDRESSES];
    unsigned naddr = 0;
    for (char *save = NULL, *a = strtok_r(addresses, ",", &save); a != NULL; a = strtok_r(NULL, ",", &save)) {
        if (naddr == MAX_ADDRESSES || parse_endpoint(a, (unsigned)port, &eps[naddr]) < 0) {
            usage();
        }
        naddr++;
    }
    if (naddr == 0) {
        usage();
    }
    if (hold) {
        return run_hold(eps, naddr, clients);
    }
    if (threads > clients) {
        threads = clients;
    }
    return run_echo(&eps[0], clients, (unsigned)threads, warmup, duration);
}
