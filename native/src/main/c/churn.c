/*
 * churn: the C baseline for teardown's benchmarks. A connect/close loop against one listener
 * (accept-close-listener), for N connections or T seconds, in one of four close variants:
 *
 *   client-first  close()                                   the client gets TIME_WAIT
 *   server-first  read until EOF (the server's FIN), close() the server gets TIME_WAIT
 *   abort         setsockopt(SO_LINGER {1,0}), close()      RST, no TIME_WAIT
 *   graceful      shutdown(SHUT_WR), read until EOF, close() orderly four-way close
 *
 * optionally after a 1-byte exchange (write one byte, read one byte back). The "close path"
 * is the variant's sequence above, timed alone with CLOCK_MONOTONIC; close_call_* times the
 * final close(2) alone. Output, on stdout:
 *
 *   PROGRESS elapsed=<s> conns=<n> conns_per_sec=<n> errors=<n>      (with --progress, 1/s)
 *   RESULT variant=<v> conns=<n> seconds=<s> conns_per_sec=<n> close_ns_mean=<n>
 *          close_ns_median=<n> eaddrnotavail=<n> errors=<n> attempts=<n> threads=<n>
 *          exchange=0|1 close_ns_p99=<n> close_call_ns_mean=<n> close_call_ns_median=<n>
 *          errnos=<op>:<ENAME>:<count>,...|none                          (one line)
 *
 * and a human-readable breakdown of errors on stderr. Exit status 0 once RESULT is printed
 * (errors are data here), 2 for bad usage, 1 when the run cannot be set up.
 */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum variant { CLIENT_FIRST, SERVER_FIRST, ABORT, GRACEFUL };
static const char *const variant_names[] = {"client-first", "server-first", "abort", "graceful"};

enum op { OP_SOCKET, OP_SETSOCKOPT, OP_CONNECT, OP_WRITE, OP_READ, OP_SHUTDOWN, OP_CLOSE, OP_COUNT };
static const char *const op_names[] = {"socket", "setsockopt", "connect", "write",
                                       "read", "shutdown", "close"};

/* errno slots; slot 0 stands for "unexpected EOF" (read returned 0 where a byte was due). */
#define NERR 256
#define ERR_EOF 0

struct samples {
    uint32_t *v;
    size_t n, cap;
};

struct worker {
    pthread_t thread;
    unsigned long quota;          /* attempts to make; 0 = run until the deadline */
    _Atomic unsigned long conns;  /* completed without error (read by the progress printer) */
    _Atomic unsigned long errors; /* attempts that failed */
    unsigned long attempts;
    unsigned long errs[OP_COUNT][NERR];
    struct samples seq, call;
    uint64_t end_ns;
    int setup_error;
};

static struct {
    struct endpoint ep;
    enum variant variant;
    bool exchange;
    unsigned long io_timeout_ms;
    uint64_t deadline_ns; /* 0 = count mode */
} cfg;

static atomic_bool stop_flag;
static atomic_uint finished;
static pthread_barrier_t start_barrier;

static const char usage_text[] =
    "usage: churn -p PORT [-a ADDR] [-v VARIANT] (-n COUNT | -d SECONDS) [options]\n"
    "  -a, --address ADDR     listener's numeric IPv4/IPv6 address (default 127.0.0.1)\n"
    "  -p, --port PORT        listener's port (required)\n"
    "  -v, --variant V        client-first | server-first | abort | graceful (default client-first)\n"
    "  -n, --count N          connection attempts in total, split across threads\n"
    "  -d, --duration S       run for S seconds (e.g. 2.5) instead of a count\n"
    "  -t, --threads N        client threads (default 1)\n"
    "  -x, --exchange         write 1 byte and read 1 byte back before closing\n"
    "      --io-timeout MS    SO_RCVTIMEO on every socket, so a wrong peer fails (EAGAIN)\n"
    "                         instead of hanging (default: none)\n"
    "      --progress         print a PROGRESS line every second\n"
    "  -h, --help             this text\n"
    "Peer: accept-close-listener --mode wait-for-client for client-first, abort and graceful;\n"
    "--mode close-first for server-first (echo-byte-then-close with -x).\n";

static void push(struct samples *s, uint64_t ns)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint32_t *grown = realloc(s->v, cap * sizeof *grown);
        if (grown == NULL) {
            die_err("realloc samples", ENOMEM);
        }
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static void count_err(struct worker *w, enum op op, int err)
{
    w->errs[op][(err > 0 && err < NERR) ? err : (err == ERR_EOF ? ERR_EOF : NERR - 1)]++;
}

/* Read until EOF. Returns 0 at EOF, else the errno (ERR_EOF is never returned here). */
static int drain(int fd)
{
    char buf[256];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) {
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return errno;
        }
    }
}

/* Close after a failure: the close result is counted, never retried. */
static void close_failed(struct worker *w, int fd)
{
    if (close(fd) != 0) {
        count_err(w, OP_CLOSE, errno);
    }
}

static void one_connection(struct worker *w)
{
    const struct sockaddr *sa = (const struct sockaddr *)&cfg.ep.addr;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        count_err(w, OP_SOCKET, errno);
        goto failed_noclose;
    }
    if (cfg.io_timeout_ms > 0) {
        struct timeval tv = {(time_t)(cfg.io_timeout_ms / 1000),
                             (suseconds_t)(cfg.io_timeout_ms % 1000) * 1000};
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
            count_err(w, OP_SETSOCKOPT, errno);
            goto failed;
        }
    }
    if (connect(fd, sa, cfg.ep.len) != 0) {
        count_err(w, OP_CONNECT, errno);
        goto failed;
    }
    if (cfg.exchange) {
        char b = 'x';
        ssize_t n = write(fd, &b, 1);
        if (n != 1) {
            count_err(w, OP_WRITE, n < 0 ? errno : EIO);
            goto failed;
        }
        n = read(fd, &b, 1);
        if (n != 1) {
            count_err(w, OP_READ, n < 0 ? errno : ERR_EOF);
            goto failed;
        }
    }

    uint64_t t0 = now_ns(), tc;
    int err;
    switch (cfg.variant) {
    case CLIENT_FIRST:
        break;
    case SERVER_FIRST:
        if ((err = drain(fd)) != 0) {
            count_err(w, OP_READ, err);
            goto failed;
        }
        break;
    case ABORT: {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0) {
            count_err(w, OP_SETSOCKOPT, errno);
            goto failed;
        }
        break;
    }
    case GRACEFUL:
        if (shutdown(fd, SHUT_WR) != 0) {
            count_err(w, OP_SHUTDOWN, errno);
            goto failed;
        }
        if ((err = drain(fd)) != 0) {
            count_err(w, OP_READ, err);
            goto failed;
        }
        break;
    }
    tc = now_ns();
    int r = close(fd); /* never retried, not even on EINTR */
    uint64_t t1 = now_ns();
    if (r != 0) {
        count_err(w, OP_CLOSE, errno);
        goto failed_noclose;
    }
    push(&w->seq, t1 - t0);
    push(&w->call, t1 - tc);
    atomic_fetch_add_explicit(&w->conns, 1, memory_order_relaxed);
    return;

failed:
    close_failed(w, fd);
failed_noclose:
    atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    int r = pthread_barrier_wait(&start_barrier);
    if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD) {
        w->setup_error = r;
    } else {
        while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
            if (w->quota > 0 ? w->attempts >= w->quota : now_ns() >= cfg.deadline_ns) {
                break;
            }
            w->attempts++;
            one_connection(w);
        }
    }
    w->end_ns = now_ns();
    atomic_fetch_add(&finished, 1);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

struct stats {
    uint64_t mean, median, p99;
};

static struct stats summarize(struct worker *ws, unsigned nthreads, bool call)
{
    size_t total = 0;
    for (unsigned i = 0; i < nthreads; i++) {
        total += call ? ws[i].call.n : ws[i].seq.n;
    }
    struct stats st = {0, 0, 0};
    if (total == 0) {
        return st;
    }
    uint32_t *all = malloc(total * sizeof *all);
    if (all == NULL) {
        die_err("malloc samples", ENOMEM);
    }
    size_t k = 0;
    uint64_t sum = 0;
    for (unsigned i = 0; i < nthreads; i++) {
        struct samples *s = call ? &ws[i].call : &ws[i].seq;
        for (size_t j = 0; j < s->n; j++) {
            all[k++] = s->v[j];
            sum += s->v[j];
        }
    }
    qsort(all, total, sizeof *all, cmp_u32);
    st.mean = (sum + total / 2) / total;
    st.median = total % 2 ? all[total / 2] : ((uint64_t)all[total / 2 - 1] + all[total / 2] + 1) / 2;
    size_t p99 = (total * 99 + 99) / 100; /* nearest rank */
    st.p99 = all[p99 > 0 ? p99 - 1 : 0];
    free(all);
    return st;
}

int main(int argc, char **argv)
{
    set_progname(argv[0]);
    const char *address = "127.0.0.1";
    unsigned long port = 0, count = 0, threads = 1;
    double duration = 0.0;
    bool have_port = false, have_count = false, have_duration = false, progress = false;
    int variant = CLIENT_FIRST;

    enum { OPT_IO_TIMEOUT = 256, OPT_PROGRESS };
    static const struct option longopts[] = {
        {"address", required_argument, NULL, 'a'},
        {"port", required_argument, NULL, 'p'},
        {"variant", required_argument, NULL, 'v'},
        {"count", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 't'},
        {"exchange", no_argument, NULL, 'x'},
        {"io-timeout", required_argument, NULL, OPT_IO_TIMEOUT},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "a:p:v:n:d:t:xh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            address = optarg;
            break;
        case 'p':
            if (parse_ulong(optarg, 1, 65535, &port) != 0) {
                die("--port wants 1-65535, got '%s'", optarg);
            }
            have_port = true;
            break;
        case 'v':
            variant = -1;
            for (int i = 0; i < 4; i++) {
                if (strcmp(optarg, variant_names[i]) == 0) {
                    variant = i;
                }
            }
            if (variant < 0) {
                die("unknown --variant '%s': use client-first, server-first, abort or graceful",
                    optarg);
            }
            break;
        case 'n':
            if (parse_ulong(optarg, 1, 1000000000000ul, &count) != 0) {
                die("--count wants a positive integer, got '%s'", optarg);
            }
            have_count = true;
            break;
        case 'd':
            if (parse_seconds(optarg, &duration) != 0 || duration <= 0.0) {
                die("--duration wants positive seconds, got '%s'", optarg);
            }
            have_duration = true;
            break;
        case 't':
            if (parse_ulong(optarg, 1, 1024, &threads) != 0) {
                die("--threads wants 1-1024, got '%s'", optarg);
            }
            break;
        case 'x':
            cfg.exchange = true;
            break;
        case OPT_IO_TIMEOUT:
            if (parse_ulong(optarg, 1, 3600000ul, &cfg.io_timeout_ms) != 0) {
                die("--io-timeout wants milliseconds (1-3600000), got '%s'", optarg);
            }
            break;
        case OPT_PROGRESS:
            progress = true;
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
    if (!have_port) {
        die("--port is required (the listener's port; see --help)");
    }
    if (have_count == have_duration) {
        die("give exactly one of --count N and --duration SECONDS");
    }
    if (have_count && count < threads) {
        threads = count;
    }
    if (parse_endpoint(address, (unsigned)port, &cfg.ep) != 0) {
        return 2;
    }
    cfg.variant = (enum variant)variant;
    /* Workers never see SIGINT/SIGTERM (they inherit this mask); the main thread waits for them. */
    sigset_t stop_signals;
    setup_stdout_and_signals(&stop_signals);
    int r;

    struct worker *ws = calloc(threads, sizeof *ws);
    if (ws == NULL) {
        die_err("calloc", ENOMEM);
    }
    for (unsigned long i = 0; i < threads; i++) {
        ws[i].quota = have_count ? count / threads + (i < count % threads ? 1 : 0) : 0;
    }
    if ((r = pthread_barrier_init(&start_barrier, NULL, (unsigned)threads + 1)) != 0) {
        die_err("pthread_barrier_init", r);
    }
    for (unsigned long i = 0; i < threads; i++) {
        if ((r = pthread_create(&ws[i].thread, NULL, run_worker, &ws[i])) != 0) {
            die_err("pthread_create", r);
        }
    }
    uint64_t start = now_ns();
    cfg.deadline_ns = have_duration ? start + (uint64_t)(duration * 1e9) : 0;
    r = pthread_barrier_wait(&start_barrier);
    if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD) {
        die_err("pthread_barrier_wait", r);
    }

    uint64_t next_progress = start + 1000000000u;
    unsigned long last_conns = 0;
    while (atomic_load(&finished) < threads) {
        struct timespec wait = {0, 50 * 1000 * 1000};
        int sig = sigtimedwait(&stop_signals, NULL, &wait);
        if (sig > 0) {
            atomic_store(&stop_flag, true);
        } else if (errno != EAGAIN && errno != EINTR) {
            die_err("sigtimedwait", errno);
        }
        uint64_t now = now_ns();
        if (progress && now >= next_progress) {
            unsigned long c = 0, e = 0;
            for (unsigned long i = 0; i < threads; i++) {
                c += atomic_load_explicit(&ws[i].conns, memory_order_relaxed);
                e += atomic_load_explicit(&ws[i].errors, memory_order_relaxed);
            }
            printf("PROGRESS elapsed=%.3f conns=%lu conns_per_sec=%lu errors=%lu\n",
                   (double)(now - start) / 1e9, c, c - last_conns, e);
            last_conns = c;
            next_progress += 1000000000u;
        }
    }

    uint64_t end = start;
    unsigned long conns = 0, errors = 0, attempts = 0, eaddrnotavail = 0;
    for (unsigned long i = 0; i < threads; i++) {
        if ((r = pthread_join(ws[i].thread, NULL)) != 0) {
            die_err("pthread_join", r);
        }
        if (ws[i].setup_error != 0) {
            die_err("pthread_barrier_wait (worker)", ws[i].setup_error);
        }
        end = ws[i].end_ns > end ? ws[i].end_ns : end;
        conns += atomic_load(&ws[i].conns);
        errors += atomic_load(&ws[i].errors);
        attempts += ws[i].attempts;
        for (int op = 0; op < OP_COUNT; op++) {
            eaddrnotavail += ws[i].errs[op][EADDRNOTAVAIL];
        }
    }
    double seconds = (double)(end - start) / 1e9;

    /* errnos=<op>:<ENAME>:<count>,... and a readable breakdown on stderr. */
    char errnos[2048];
    size_t used = 0;
    errnos[0] = '\0';
    for (int op = 0; op < OP_COUNT; op++) {
        for (int e = 0; e < NERR; e++) {
            unsigned long n = 0;
            for (unsigned long i = 0; i < threads; i++) {
                n += ws[i].errs[op][e];
            }
            if (n == 0) {
                continue;
            }
            const char *name = e == ERR_EOF ? "EOF" : errno_name(e);
            bool timed_out = cfg.io_timeout_ms > 0 && op == OP_READ && e == EAGAIN;
            fprintf(stderr, "%s: %s: %s (%s): %lu times%s\n", progname(), op_names[op],
                    e == ERR_EOF ? "unexpected end of stream" : strerror(e), name, n,
                    timed_out ? " (--io-timeout expired: is the listener in the mode this "
                                "variant needs?)"
                              : "");
            if (used < sizeof errnos) {
                int w = snprintf(errnos + used, sizeof errnos - used, "%s%s:%s:%lu",
                                 used ? "," : "", op_names[op], name, n);
                used += w > 0 ? (size_t)w : 0;
            }
        }
    }
    if (used >= sizeof errnos) {
        /* Cut at the last complete entry. */
        errnos[sizeof errnos - 1] = '\0';
        char *comma = strrchr(errnos, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
    }

    struct stats seq = summarize(ws, (unsigned)threads, false);
    struct stats call = summarize(ws, (unsigned)threads, true);
    printf("RESULT variant=%s conns=%lu seconds=%.3f conns_per_sec=%.0f close_ns_mean=%llu "
           "close_ns_median=%llu eaddrnotavail=%lu errors=%lu attempts=%lu threads=%lu "
           "exchange=%d close_ns_p99=%llu close_call_ns_mean=%llu close_call_ns_median=%llu "
           "errnos=%s\n",
           variant_names[cfg.variant], conns, seconds, seconds > 0 ? (double)conns / seconds : 0.0,
           (unsigned long long)seq.mean, (unsigned long long)seq.median, eaddrnotavail, errors,
           attempts, threads, cfg.exchange ? 1 : 0, (unsigned long long)seq.p99,
           (unsigned long long)call.mean, (unsigned long long)call.median,
           used ? errnos : "none");
    if (fflush(stdout) != 0) {
        die_err("write stdout", errno);
    }
    for (unsigned long i = 0; i < threads; i++) {
        free(ws[i].seq.v);
        free(ws[i].call.v);
    }
    free(ws);
    pthread_barrier_destroy(&start_barrier);
    return 0;
}
