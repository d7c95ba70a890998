/*
 * Helpers shared by teardown's C peers: fatal errors, numeric address parsing and
 * formatting, monotonic time, errno names, listening sockets.
 */
#ifndef TEARDOWN_COMMON_H
#define TEARDOWN_COMMON_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

/* A numeric IPv4 or IPv6 address with a port. */
struct endpoint {
    struct sockaddr_storage addr;
    socklen_t len;
};

/* Set the program name used as the prefix of every diagnostic. */
void set_progname(const char *name);
const char *progname(void);

/* Print "<prog>: <message>" to stderr and exit with status 2 (usage or set-up failure). */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* Print "<prog>: <what>: <strerror(err)> (<ENAME>)" to stderr and exit with status 1. */
__attribute__((noreturn)) void die_err(const char *what, int err);

/* Print "<prog>: <what>: <strerror(err)> (<ENAME>)" to stderr and carry on. */
void warn_err(const char *what, int err);

/*
 * Parse a numeric IPv4 or IPv6 address (no names, no DNS) and a port into *out.
 * Returns 0, or -1 after printing why to stderr.
 */
int parse_endpoint(const char *host, unsigned port, struct endpoint *out);

/* Parse a decimal unsigned integer in [min, max]; returns 0 or -1. */
int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Parse a non-negative decimal number (e.g. "2.5"); returns 0 or -1. */
int parse_seconds(const char *s, double *out);

/* Format the address and port of sa: host gets the numeric address, *port the port. */
void format_sockaddr(const struct sockaddr *sa, char *host, size_t hostlen, unsigned *port);

/* CLOCK_MONOTONIC in nanoseconds; exits on failure (it cannot fail on Linux). */
uint64_t now_ns(void);

/* "ECONNRESET" for ECONNRESET; "E<number>" when glibc has no name. Not thread-safe for unknowns. */
const char *errno_name(int err);

/*
 * socket + SO_REUSEADDR + bind + listen, close-on-exec; extra_type_flags is OR-ed into the
 * socket type (e.g. SOCK_NONBLOCK). Exits on failure.
 */
int open_listener(const struct endpoint *ep, int backlog, int extra_type_flags);

/* Print "LISTENING <addr> <port>" for a bound socket and flush stdout. Exits on failure. */
void print_listening(int fd);

/*
 * Line-buffer stdout, block SIGINT and SIGTERM in this thread (threads started later inherit the mask; the
 * main thread waits for them with sigwait on *stop_signals) and ignore SIGPIPE. Exits on failure.
 */
void setup_stdout_and_signals(sigset_t *stop_signals);

#endif
