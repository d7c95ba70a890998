/* The tcpi_state values, from glibc's <netinet/tcp.h>, which cannot share a file with <linux/tcp.h>. */
#define _GNU_SOURCE
#include <netinet/tcp.h>
#include <stdio.h>

#define P(java, value) printf("%s %lld <netinet/tcp.h>\n", java, (long long) (value))

void print_tcp_states(void);

void print_tcp_states(void) {
    P("Os.TCP_ESTABLISHED", TCP_ESTABLISHED);
    P("Os.TCP_FIN_WAIT1", TCP_FIN_WAIT1);
    P("Os.TCP_FIN_WAIT2", TCP_FIN_WAIT2);
    P("Os.TCP_TIME_WAIT", TCP_TIME_WAIT);
    P("Os.TCP_CLOSE", TCP_CLOSE);
    P("Os.TCP_CLOSE_WAIT", TCP_CLOSE_WAIT);
    P("Os.TCP_LAST_ACK", TCP_LAST_ACK);
    P("Os.TCP_CLOSING", TCP_CLOSING);
}
