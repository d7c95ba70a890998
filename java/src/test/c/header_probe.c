/*
 * Prints, one per line, "<Java name> <value> <header>" for every constant teardown's posix package compiles in,
 * taken from this platform's C headers; HeaderConstantsTest compiles it with gcc, runs it and compares the values
 * with the Java fields. "<Java name> ? <reason>" marks a value these headers cannot show (a struct field newer than
 * the installed kernel headers): it is reported, not failed. Linux only (macOS values are compiled in, unchecked).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <linux/version.h>

#define P(java, value, header) printf("%s %lld %s\n", java, (long long) (value), header)
#define OFF(java, field) P("TcpInfoLayout." java, offsetof(struct tcp_info, field), "<linux/tcp.h>")
#define UNCHECKED(java, why) printf("%s ? %s\n", java, why)

/* The byte of struct tcp_info that a bit-field lives in: set the field, find the byte that changed. */
#define BITBYTE(java, field) do { \
        struct tcp_info t; unsigned char *b = (unsigned char *) &t; size_t i; \
        memset(&t, 0, sizeof t); t.field = 1; \
        for (i = 0; i < sizeof t && b[i] == 0; i++) { } \
        P("TcpInfoLayout." java, i, "<linux/tcp.h>"); \
    } while (0)

void print_tcp_states(void);

int main(void) {
    /* address families, socket types, levels */
    P("Os.AF_UNSPEC", AF_UNSPEC, "<sys/socket.h>");
    P("Os.AF_INET", AF_INET, "<sys/socket.h>");
    P("Os.AF_INET6", AF_INET6, "<sys/socket.h>");
    P("Os.AF_NETLINK", AF_NETLINK, "<sys/socket.h>");
    P("Os.SOCK_STREAM", SOCK_STREAM, "<sys/socket.h>");
    P("Os.SOCK_RAW", SOCK_RAW, "<sys/socket.h>");
    P("Os.SOCK_CLOEXEC", SOCK_CLOEXEC, "<sys/socket.h>");
    P("Os.SOCK_NONBLOCK", SOCK_NONBLOCK, "<sys/socket.h>");
    P("Os.SOL_SOCKET", SOL_SOCKET, "<sys/socket.h>");
    P("Os.IPPROTO_TCP", IPPROTO_TCP, "<netinet/in.h>");
    P("Os.IPPROTO_IPV6", IPPROTO_IPV6, "<netinet/in.h>");
    /* SOL_SOCKET options */
    P("Os.SO_TYPE", SO_TYPE, "<sys/socket.h>");
    P("Os.SO_ERROR", SO_ERROR, "<sys/socket.h>");
    P("Os.SO_REUSEADDR", SO_REUSEADDR, "<sys/socket.h>");
    P("Os.SO_KEEPALIVE", SO_KEEPALIVE, "<sys/socket.h>");
    P("Os.SO_SNDBUF", SO_SNDBUF, "<sys/socket.h>");
    P("Os.SO_RCVBUF", SO_RCVBUF, "<sys/socket.h>");
    P("Os.SO_LINGER", SO_LINGER, "<sys/socket.h>");
    P("Os.SO_REUSEPORT", SO_REUSEPORT, "<sys/socket.h>");
    P("Os.SO_ACCEPTCONN", SO_ACCEPTCONN, "<sys/socket.h>");
#ifdef SO_NOSIGPIPE
    P("Os.SO_NOSIGPIPE", SO_NOSIGPIPE, "<sys/socket.h>");
#else
    P("Os.SO_NOSIGPIPE", -1, "<sys/socket.h> (absent: -1)");
#endif
    /* IPPROTO_TCP options */
    P("Os.TCP_NODELAY", TCP_NODELAY, "<linux/tcp.h>");
    P("Os.TCP_KEEPIDLE", TCP_KEEPIDLE, "<linux/tcp.h>");
    P("Os.TCP_KEEPINTVL", TCP_KEEPINTVL, "<linux/tcp.h>");
    P("Os.TCP_KEEPCNT", TCP_KEEPCNT, "<linux/tcp.h>");
    P("Os.TCP_LINGER2", TCP_LINGER2, "<linux/tcp.h>");
    P("Os.TCP_INFO", TCP_INFO, "<linux/tcp.h>");
    P("Os.TCP_USER_TIMEOUT", TCP_USER_TIMEOUT, "<linux/tcp.h>");
    P("Os.IPV6_V6ONLY", IPV6_V6ONLY, "<netinet/in.h>");
    /* shutdown, send/recv flags */
    P("Os.SHUT_RD", SHUT_RD, "<sys/socket.h>");
    P("Os.SHUT_WR", SHUT_WR, "<sys/socket.h>");
    P("Os.SHUT_RDWR", SHUT_RDWR, "<sys/socket.h>");
    P("Os.MSG_PEEK", MSG_PEEK, "<sys/socket.h>");
    P("Os.MSG_DONTWAIT", MSG_DONTWAIT, "<sys/socket.h>");
    P("Os.MSG_NOSIGNAL", MSG_NOSIGNAL, "<sys/socket.h>");
    /* fcntl */
    P("Os.F_GETFD", F_GETFD, "<fcntl.h>");
    P("Os.F_SETFD", F_SETFD, "<fcntl.h>");
    P("Os.F_GETFL", F_GETFL, "<fcntl.h>");
    P("Os.F_SETFL", F_SETFL, "<fcntl.h>");
    P("Os.F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC, "<fcntl.h>");
    P("Os.FD_CLOEXEC", FD_CLOEXEC, "<fcntl.h>");
    P("Os.O_NONBLOCK", O_NONBLOCK, "<fcntl.h>");
    /* poll */
    P("Os.POLLIN", POLLIN, "<poll.h>");
    P("Os.POLLPRI", POLLPRI, "<poll.h>");
    P("Os.POLLOUT", POLLOUT, "<poll.h>");
    P("Os.POLLERR", POLLERR, "<poll.h>");
    P("Os.POLLHUP", POLLHUP, "<poll.h>");
    P("Os.POLLNVAL", POLLNVAL, "<poll.h>");
    P("Os.POLLRDHUP", POLLRDHUP, "<poll.h>");
    /* ioctl */
    P("Os.FIONREAD", FIONREAD, "<sys/ioctl.h>");
    P("Os.SIOCOUTQ", SIOCOUTQ, "<linux/sockios.h>");
    /* eventfd, epoll */
    P("Os.EFD_CLOEXEC", EFD_CLOEXEC, "<sys/eventfd.h>");
    P("Os.EFD_NONBLOCK", EFD_NONBLOCK, "<sys/eventfd.h>");
    P("Os.EPOLL_CLOEXEC", EPOLL_CLOEXEC, "<sys/epoll.h>");
    P("Os.EPOLL_CTL_ADD", EPOLL_CTL_ADD, "<sys/epoll.h>");
    P("Os.EPOLL_CTL_DEL", EPOLL_CTL_DEL, "<sys/epoll.h>");
    P("Os.EPOLL_CTL_MOD", EPOLL_CTL_MOD, "<sys/epoll.h>");
    P("Os.EPOLLIN", EPOLLIN, "<sys/epoll.h>");
    P("Os.EPOLLOUT", EPOLLOUT, "<sys/epoll.h>");
    P("Os.EPOLLERR", EPOLLERR, "<sys/epoll.h>");
    P("Os.EPOLLHUP", EPOLLHUP, "<sys/epoll.h>");
    P("Os.EPOLLRDHUP", EPOLLRDHUP, "<sys/epoll.h>");
    P("Os.EPOLLONESHOT", EPOLLONESHOT, "<sys/epoll.h>");
    P("Os.EPOLLET", (int) EPOLLET, "<sys/epoll.h> (1u << 31, as a Java int)");
    P("Os.EPOLL_EVENT_SIZE", sizeof(struct epoll_event), "<sys/epoll.h> sizeof(struct epoll_event)");
    P("Os.EPOLL_DATA_OFFSET", offsetof(struct epoll_event, data), "<sys/epoll.h> offsetof(struct epoll_event, data)");
    /* tcpi_state values */
    print_tcp_states(); /* header_probe_states.c: <netinet/tcp.h> clashes with <linux/tcp.h> */
    P("Os.MAX_LINGER_SECONDS", INT_MAX, "<limits.h> INT_MAX (struct linger.l_linger is an int)");

    /* errno */
    P("Errno.EPERM", EPERM, "<errno.h>");
    P("Errno.ENOENT", ENOENT, "<errno.h>");
    P("Errno.ESRCH", ESRCH, "<errno.h>");
    P("Errno.EINTR", EINTR, "<errno.h>");
    P("Errno.ENXIO", ENXIO, "<errno.h>");
    P("Errno.EBADF", EBADF, "<errno.h>");
    P("Errno.ENOMEM", ENOMEM, "<errno.h>");
    P("Errno.EACCES", EACCES, "<errno.h>");
    P("Errno.EFAULT", EFAULT, "<errno.h>");
    P("Errno.EEXIST", EEXIST, "<errno.h>");
    P("Errno.ENODEV", ENODEV, "<errno.h>");
    P("Errno.EINVAL", EINVAL, "<errno.h>");
    P("Errno.ENFILE", ENFILE, "<errno.h>");
    P("Errno.EMFILE", EMFILE, "<errno.h>");
    P("Errno.ENOTTY", ENOTTY, "<errno.h>");
    P("Errno.EPIPE", EPIPE, "<errno.h>");
    P("Errno.EAGAIN", EAGAIN, "<errno.h>");
    P("Errno.EINPROGRESS", EINPROGRESS, "<errno.h>");
    P("Errno.EALREADY", EALREADY, "<errno.h>");
    P("Errno.ENOTSOCK", ENOTSOCK, "<errno.h>");
    P("Errno.ENOPROTOOPT", ENOPROTOOPT, "<errno.h>");
    P("Errno.EPROTONOSUPPORT", EPROTONOSUPPORT, "<errno.h>");
    P("Errno.EOPNOTSUPP", EOPNOTSUPP, "<errno.h>");
    P("Errno.EAFNOSUPPORT", EAFNOSUPPORT, "<errno.h>");
    P("Errno.EADDRINUSE", EADDRINUSE, "<errno.h>");
    P("Errno.EADDRNOTAVAIL", EADDRNOTAVAIL, "<errno.h>");
    P("Errno.ENETUNREACH", ENETUNREACH, "<errno.h>");
    P("Errno.ECONNABORTED", ECONNABORTED, "<errno.h>");
    P("Errno.ECONNRESET", ECONNRESET, "<errno.h>");
    P("Errno.ENOBUFS", ENOBUFS, "<errno.h>");
    P("Errno.EISCONN", EISCONN, "<errno.h>");
    P("Errno.ENOTCONN", ENOTCONN, "<errno.h>");
    P("Errno.ETIMEDOUT", ETIMEDOUT, "<errno.h>");
    P("Errno.ECONNREFUSED", ECONNREFUSED, "<errno.h>");
    P("Errno.EHOSTUNREACH", EHOSTUNREACH, "<errno.h>");

    /* struct tcp_info */
    OFF("STATE", tcpi_state);
    OFF("CA_STATE", tcpi_ca_state);
    OFF("RETRANSMITS", tcpi_retransmits);
    OFF("PROBES", tcpi_probes);
    OFF("BACKOFF", tcpi_backoff);
    OFF("OPTIONS", tcpi_options);
    BITBYTE("WSCALE", tcpi_snd_wscale);
    BITBYTE("APP_LIMITED_FASTOPEN", tcpi_delivery_rate_app_limited);
    OFF("RTO", tcpi_rto);
    OFF("ATO", tcpi_ato);
    OFF("SND_MSS", tcpi_snd_mss);
    OFF("RCV_MSS", tcpi_rcv_mss);
    OFF("UNACKED", tcpi_unacked);
    OFF("SACKED", tcpi_sacked);
    OFF("LOST", tcpi_lost);
    OFF("RETRANS", tcpi_retrans);
    OFF("FACKETS", tcpi_fackets);
    OFF("LAST_DATA_SENT", tcpi_last_data_sent);
    OFF("LAST_ACK_SENT", tcpi_last_ack_sent);
    OFF("LAST_DATA_RECV", tcpi_last_data_recv);
    OFF("LAST_ACK_RECV", tcpi_last_ack_recv);
    OFF("PMTU", tcpi_pmtu);
    OFF("RCV_SSTHRESH", tcpi_rcv_ssthresh);
    OFF("RTT", tcpi_rtt);
    OFF("RTTVAR", tcpi_rttvar);
    OFF("SND_SSTHRESH", tcpi_snd_ssthresh);
    OFF("SND_CWND", tcpi_snd_cwnd);
    OFF("ADVMSS", tcpi_advmss);
    OFF("REORDERING", tcpi_reordering);
    OFF("RCV_RTT", tcpi_rcv_rtt);
    OFF("RCV_SPACE", tcpi_rcv_space);
    OFF("TOTAL_RETRANS", tcpi_total_retrans);
    OFF("BASE_SIZE", tcpi_pacing_rate);
    OFF("PACING_RATE", tcpi_pacing_rate);
    OFF("MAX_PACING_RATE", tcpi_max_pacing_rate);
    OFF("BYTES_ACKED", tcpi_bytes_acked);
    OFF("BYTES_RECEIVED", tcpi_bytes_received);
    OFF("SEGS_OUT", tcpi_segs_out);
    OFF("SEGS_IN", tcpi_segs_in);
    OFF("NOTSENT_BYTES", tcpi_notsent_bytes);
    OFF("MIN_RTT", tcpi_min_rtt);
    OFF("DATA_SEGS_IN", tcpi_data_segs_in);
    OFF("DATA_SEGS_OUT", tcpi_data_segs_out);
    OFF("DELIVERY_RATE", tcpi_delivery_rate);
    OFF("BUSY_TIME", tcpi_busy_time);
    OFF("RWND_LIMITED", tcpi_rwnd_limited);
    OFF("SNDBUF_LIMITED", tcpi_sndbuf_limited);
    OFF("DELIVERED", tcpi_delivered);
    OFF("DELIVERED_CE", tcpi_delivered_ce);
    OFF("BYTES_SENT", tcpi_bytes_sent);
    OFF("BYTES_RETRANS", tcpi_bytes_retrans);
    OFF("DSACK_DUPS", tcpi_dsack_dups);
    OFF("REORD_SEEN", tcpi_reord_seen);
    OFF("RCV_OOOPACK", tcpi_rcv_ooopack);
    OFF("SND_WND", tcpi_snd_wnd);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
    OFF("RCV_WND", tcpi_rcv_wnd);
    OFF("REHASH", tcpi_rehash);
    OFF("TOTAL_RTO", tcpi_total_rto);
    OFF("TOTAL_RTO_RECOVERIES", tcpi_total_rto_recoveries);
    OFF("TOTAL_RTO_TIME", tcpi_total_rto_time);
    P("TcpInfoLayout.OPT_USEC_TS", TCPI_OPT_USEC_TS, "<linux/tcp.h>");
#else
    /* The first field after this struct's end starts at its size (a u32 after a u32: no padding). */
    P("TcpInfoLayout.RCV_WND", sizeof(struct tcp_info), "<linux/tcp.h> sizeof(struct tcp_info) of headers before 6.2");
    UNCHECKED("TcpInfoLayout.REHASH", "needs linux headers >= 6.7");
    UNCHECKED("TcpInfoLayout.TOTAL_RTO", "needs linux headers >= 6.7");
    UNCHECKED("TcpInfoLayout.TOTAL_RTO_RECOVERIES", "needs linux headers >= 6.7");
    UNCHECKED("TcpInfoLayout.TOTAL_RTO_TIME", "needs linux headers >= 6.7");
    UNCHECKED("TcpInfoLayout.OPT_USEC_TS", "needs linux headers >= 6.7");
#endif
    UNCHECKED("TcpInfoLayout.RECEIVED_CE", "needs linux headers >= 6.18 (tcpi_received_ce)");
    P("TcpInfoLayout.OPT_TIMESTAMPS", TCPI_OPT_TIMESTAMPS, "<linux/tcp.h>");
    P("TcpInfoLayout.OPT_SACK", TCPI_OPT_SACK, "<linux/tcp.h>");
    P("TcpInfoLayout.OPT_WSCALE", TCPI_OPT_WSCALE, "<linux/tcp.h>");
    P("TcpInfoLayout.OPT_ECN", TCPI_OPT_ECN, "<linux/tcp.h>");
    P("TcpInfoLayout.OPT_ECN_SEEN", TCPI_OPT_ECN_SEEN, "<linux/tcp.h>");
    P("TcpInfoLayout.OPT_SYN_DATA", TCPI_OPT_SYN_DATA, "<linux/tcp.h>");

    /* sockaddr sizes */
    P("Sockaddr.MAX_LEN", sizeof(struct sockaddr_storage), "<sys/socket.h> sizeof(struct sockaddr_storage)");
    P("Sockaddr.IN_LEN", sizeof(struct sockaddr_in), "<netinet/in.h> sizeof(struct sockaddr_in)");
    P("Sockaddr.IN6_LEN", sizeof(struct sockaddr_in6), "<netinet/in.h> sizeof(struct sockaddr_in6)");

    /* netlink sock_diag */
    P("SockDiag.NETLINK_SOCK_DIAG", NETLINK_SOCK_DIAG, "<linux/netlink.h>");
    P("SockDiag.SOCK_DIAG_BY_FAMILY", SOCK_DIAG_BY_FAMILY, "<linux/sock_diag.h>");
    P("SockDiag.NLMSG_ERROR", NLMSG_ERROR, "<linux/netlink.h>");
    P("SockDiag.NLMSG_DONE", NLMSG_DONE, "<linux/netlink.h>");
    P("SockDiag.NLM_F_REQUEST", NLM_F_REQUEST, "<linux/netlink.h>");
    P("SockDiag.NLM_F_DUMP", NLM_F_DUMP, "<linux/netlink.h>");
    P("SockDiag.NLMSG_HDRLEN", NLMSG_HDRLEN, "<linux/netlink.h>");
    P("SockDiag.REQ_LEN", sizeof(struct inet_diag_req_v2), "<linux/inet_diag.h> sizeof(struct inet_diag_req_v2)");
    P("SockDiag.MSG_LEN", sizeof(struct inet_diag_msg), "<linux/inet_diag.h> sizeof(struct inet_diag_msg)");
    P("SockDiag.INET_DIAG_REQ_BYTECODE", INET_DIAG_REQ_BYTECODE, "<linux/inet_diag.h>");
    P("SockDiag.INET_DIAG_INFO", INET_DIAG_INFO, "<linux/inet_diag.h>");
    P("SockDiag.EXT_TCP_INFO", 1 << (INET_DIAG_INFO - 1), "<linux/inet_diag.h> idiag_ext bit of INET_DIAG_INFO");
    P("SockDiag.BC_JMP", INET_DIAG_BC_JMP, "<linux/inet_diag.h>");
    P("SockDiag.BC_S_EQ", INET_DIAG_BC_S_EQ, "<linux/inet_diag.h>");
    P("SockDiag.BC_D_EQ", INET_DIAG_BC_D_EQ, "<linux/inet_diag.h>");
    P("SockDiag.SOCKADDR_NL_LEN", sizeof(struct sockaddr_nl), "<linux/netlink.h> sizeof(struct sockaddr_nl)");

    /* posix_spawn */
    P("SpawnLibc.POSIX_SPAWN_SETSIGDEF", POSIX_SPAWN_SETSIGDEF, "<spawn.h>");
    P("SpawnLibc.POSIX_SPAWN_SETSIGMASK", POSIX_SPAWN_SETSIGMASK, "<spawn.h>");
    P("SpawnLibc.SIGKILL", SIGKILL, "<signal.h>");
    P("SpawnLibc.SIGTERM", SIGTERM, "<signal.h>");
    P("SpawnLibc.O_RDWR", O_RDWR, "<fcntl.h>");

    /* entering a network namespace */
    P("NetNamespace.O_RDONLY", O_RDONLY, "<fcntl.h>");
    P("NetNamespace.O_CLOEXEC", O_CLOEXEC, "<fcntl.h>");
    P("NetNamespace.CLONE_NEWNET", CLONE_NEWNET, "<sched.h>");
    /* ">=": the Java value is a buffer size that must hold the struct */
    printf("SpawnLibc.OPAQUE_SIZE >=%lld <spawn.h> sizeof(posix_spawn_file_actions_t)\n",
           (long long) sizeof(posix_spawn_file_actions_t));
    printf("SpawnLibc.OPAQUE_SIZE >=%lld <spawn.h> sizeof(posix_spawnattr_t)\n", (long long) sizeof(posix_spawnattr_t));
    printf("SpawnLibc.OPAQUE_SIZE >=%lld <signal.h> sizeof(sigset_t)\n", (long long) sizeof(sigset_t));
    printf("TcpInfoLayout.BUFFER_SIZE >=%lld <linux/tcp.h> sizeof(struct tcp_info)\n", (long long) sizeof(struct tcp_info));
    printf("Buffers.SCRATCH_SIZE >=1 (a buffer size)\n");
    return 0;
}
