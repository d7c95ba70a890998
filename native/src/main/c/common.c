#include "common.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "teardown";

void set_progname(const char *name)
{
    const char *slash = strrchr(name, '/');
    prog = slash ? slash + 1 : name;
}

const char *progname(void)
{
    return prog;
}

void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void warn_err(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, strerror(err), errno_name(err));
}

void die_err(const char *what, int err)
{
    warn_err(what, err);
    exit(1);
}

const char *errno_name(int err)
{
    static char unknown[24];
    const char *name = strerrorname_np(err);
    if (name != NULL) {
        return name;
    }
    snprintf(unknown, sizeof unknown, "E%d", err);
    return unknown;
}

int parse_endpoint(const char *host, unsigned port, struct endpoint *out)
{
    memset(out, 0, sizeof *out);
    if (port > 65535) {
        fprintf(stderr, "%s: port %u is out of range (0-65535)\n", prog, port);
        return -1;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        out->len = sizeof *v4;
        return 0;
    }
    /* Accept "[::1]" as well as "::1". */
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *v6;
        return 0;
    }
    fprintf(stderr, "%s: '%s' is not a numeric IPv4 or IPv6 address\n", prog, host);
    return -1;
}

int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

int parse_seconds(const char *s, double *out)
{
    if (s == NULL || ((*s < '0' || *s > '9') && *s != '.')) {
        return -1;
    }
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !(v >= 0.0) || v > 1e7) {
        return -1;
    }
    *out = v;
    return 0;
}

void format_sockaddr(const struct sockaddr *sa, char *host, size_t hostlen, unsigned *port)
{
    const void *src;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        src = &v4->sin_addr;
        *port = ntohs(v4->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        src = &v6->sin6_addr;
        *port = ntohs(v6->sin6_port);
    } else {
        snprintf(host, hostlen, "family-%d", (int)sa->sa_family);
        *port = 0;
        return;
    }
    if (inet_ntop(sa->sa_family, src, host, (socklen_t)hostlen) == NULL) {
        snprintf(host, hostlen, "?");
    }
}

uint64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        die_err("clock_gettime(CLOCK_MONOTONIC)", errno);
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int open_listener(const struct endpoint *ep, int backlog, int extra_type_flags)
{
    int family = ((const struct sockaddr *)&ep->addr)->sa_family;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | extra_type_flags, 0);
    if (fd < 0) {
        die_err("socket", errno);
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        die_err("setsockopt(SO_REUSEADDR)", errno);
    }
    if (bind(fd, (const struct sockaddr *)&ep->addr, ep->len) != 0) {
        char host[INET6_ADDRSTRLEN];
        unsigned port;
        char what[INET6_ADDRSTRLEN + 32];
        format_sockaddr((const struct sockaddr *)&ep->addr, host, sizeof host, &port);
        snprintf(what, sizeof what, "bind %s %u", host, port);
        die_err(what, errno);
    }
    if (listen(fd, backlog) != 0) {
        die_err("listen", errno);
    }
    return fd;
}

void print_listening(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        die_err("getsockname", errno);
    }
    char host[INET6_ADDRSTRLEN];
    unsigned port;
    format_sockaddr((const struct sockaddr *)&ss, host, sizeof host, &port);
    if (printf("LISTENING %s %u\n", host, port) < 0 || fflush(stdout) != 0) {
        die_err("write stdout", errno);
    }
}

void setup_stdout_and_signals(sigset_t *stop_signals)
{
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0) {
        die("setvbuf failed");
    }
    if (sigemptyset(stop_signals) != 0 || sigaddset(stop_signals, SIGINT) != 0 ||
        sigaddset(stop_signals, SIGTERM) != 0) {
        die_err("sigset", errno);
    }
    int r = pthread_sigmask(SIG_BLOCK, stop_signals, NULL);
    if (r != 0) {
        die_err("pthread_sigmask", r);
    }
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    if (sigemptyset(&ign.sa_mask) != 0 || sigaction(SIGPIPE, &ign, NULL) != 0) {
        die_err("sigaction(SIGPIPE)", errno);
    }
}
