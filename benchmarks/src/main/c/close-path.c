/*
 * close-path: the C side of teardown's close-latency benchmark. Like native/churn, a loop of
 * connect + close against accept-close-listener, but the connection is set up first (outside
 * the timed region) and only the close sequence of one mode is timed, CLOCK_MONOTONIC:
 *
 *   client-first  close()                                      (listener: wait-for-client)
 *   server-first  [read to EOF untimed] close()                (listener: close-first)
 *   shutdown      shutdown(SHUT_RDWR), close()                 (listener: wait-for-client)
 *   abort         setsockopt(SO_LINGER {1,0}), close()         (listener: wait-for-client)
 *   graceful      shutdown(SHUT_WR), read to EOF, close()      (listener: wait-for-client)
 *   linger        [1-byte exchange untimed] setsockopt(SO_LINGER {1,T}), close()
 *                                                              (listener: wait-for-client)
 *
 * churn has no variant for shutdown and linger; this program covers them (and the others, as a
 * cross-check of churn's close_ns). Output, one line on stdout:
 *
 *   RESULT mode=<m> samples=<n> close_ns_mean=<n> close_ns_p50=<n> close_ns_p90=<n>
 *          close_ns_p99=<n> close_ns_p999=<n> close_ns_max=<n> errors=<n> seconds=<s>
 *
 * Exit 0 once RESULT is printed, 2 for bad usage, 1 when the run cannot be set up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { CLIENT_FIRST, SERVER_FIRST, SHUTDOWN, ABORT, GRACEFUL, LINGER, NMODES };
static const char *const mode_names[] = {"client-first", "server-first", "shutdown",
                                         "abort",        "graceful",     "linger"};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int drain(int fd)
{
    char buf[256];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) {
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return -1;
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void usage(FILE *f)
{
    fputs("usage: close-path -p PORT -m MODE (-n COUNT | -d SECONDS) [-a IPV4] [-l LINGER_SECONDS]\n"
          "  MODE: client-first | server-first | shutdown | abort | graceful | linger\n",
          f);
}

int main(int argc, char **argv)
{
    const char *address = "127.0.0.1";
    long port = 0, count = 0, linger_s = 2;
    double duration = 0;
    int mode = -1, opt;
    while ((opt = getopt(argc, argv, "a:p:m:n:d:l:h")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'p': port = strtol(optarg, NULL, 10); break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 'd': duration = strtod(optarg, NULL); break;
        case 'l': linger_s = strtol(optarg, NULL, 10); break;
        case 'm':
            for (int i = 0; i < NMODES; i++) {
                if (strcmp(optarg, mode_names[i]) == 0) {
                    mode = i;
                }
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (port <= 0 || port > 65535 || mode < 0 || (count <= 0) == (duration <= 0) || linger_s < 0) {
        usage(stderr);
        return 2;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
        fprintf(stderr, "close-path: '%s' is not a numeric IPv4 address\n", address);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    size_t cap = count > 0 ? (size_t)count : 1 << 16, n = 0;
    uint64_t *samples = malloc(cap * sizeof *samples);
    if (samples == NULL) {
        perror("close-path: malloc");
        return 1;
    }
    unsigned long errors = 0;
    uint64_t start = now_ns(), deadline = start + (uint64_t)(duration * 1e9);
    for (long i = 0; count > 0 ? i < count : now_ns() < deadline; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            errors++;
            continue;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            errors++;
            close(fd);
            continue;
        }
        int bad = 0;
        if (mode == SERVER_FIRST) {
            bad = drain(fd) != 0;
        } else if (mode == LINGER) {
            char b = 'x';
            bad = write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1;
        }
        if (bad) {
            errors++;
            close(fd);
            continue;
        }
        uint64_t t0 = now_ns();
        switch (mode) {
        case SHUTDOWN:
            bad = shutdown(fd, SHUT_RDWR) != 0;
            break;
        case ABORT: {
            struct linger lg = {1, 0};
            bad = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0;
            break;
        }
        case GRACEFUL:
            bad = shutdown(fd, SHUT_WR) != 0 || drain(fd) != 0;
            break;
        case LINGER: {
            struct linger lg = {1, (int)linger_s};
            bad = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0;
            break;
        }
        default:
            break;
        }
        int r = close(fd); /* never retried */
        uint64_t t1 = now_ns();
        if (bad || r != 0) {
            errors++;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            uint64_t *grown = realloc(samples, cap * sizeof *grown);
            if (grown == NULL) {
                perror("close-path: realloc");
                return 1;
            }
            samples = grown;
        }
        samples[n++] = t1 - t0;
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += samples[i];
    }
    qsort(samples, n, sizeof *samples, cmp_u64);
#define PCT(p) (n ? samples[(size_t)((double)(n - 1) * (p))] : 0)
    printf("RESULT mode=%s samples=%zu close_ns_mean=%llu close_ns_p50=%llu close_ns_p90=%llu "
           "close_ns_p99=%llu close_ns_p999=%llu close_ns_max=%llu errors=%lu seconds=%.3f\n",
           mode_names[mode], n, (unsigned long long)(n ? sum / n : 0), (unsigned long long)PCT(0.5),
           (unsigned long long)PCT(0.9), (unsigned long long)PCT(0.99),
           (unsigned long long)PCT(0.999), (unsigned long long)(n ? samples[n - 1] : 0), errors,
           seconds);
    free(samples);
    return 0;
}
