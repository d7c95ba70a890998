/**
 * The kernel's view of TCP sockets, from inside the JVM: what {@code ss -tanpoi}, {@code lsof} and
 * {@code sysctl} show, and which of this process's sockets are stuck.
 *
 * <ul>
 * <li>{@link dev.teardown.TcpInfo}: one connection's {@code struct tcp_info} (getsockopt TCP_INFO),
 *   read by length; {@link dev.teardown.inspect.PeerCheck}: has the peer sent FIN (poll POLLRDHUP).</li>
 * <li>{@link dev.teardown.inspect.TcpTable}: the namespace-wide socket table through NETLINK_SOCK_DIAG, with
 *   {@code /proc/thread-self/net/tcp{,6}} as the fallback; {@link dev.teardown.inspect.TcpEntry},
 *   {@link dev.teardown.TcpState}, {@link dev.teardown.inspect.TcpTimer}.</li>
 * <li>{@link dev.teardown.inspect.SocketOwners}: which processes hold a socket ({@code /proc/*}{@code /fd}).</li>
 * <li>{@link dev.teardown.inspect.KernelTcpSettings}: the sysctls that decide what a close costs, and what
 *   they imply.</li>
 * <li>{@link dev.teardown.inspect.CloseWaitWatch}: a CLOSE_WAIT watchdog over all of this process's sockets,
 *   with {@link dev.teardown.inspect.AllocationSites} naming where teardown sockets were opened.</li>
 * <li>{@link dev.teardown.inspect.TeardownJfr}: JFR events for closes and periodic socket counts;
 *   {@link dev.teardown.inspect.CloseListeners}: every close through teardown, for metrics.</li>
 * </ul>
 *
 * <p><b>Namespaces.</b> Table and settings reads use the network namespace of the calling thread.
 *
 * <p><b>JDK sockets.</b> {@link dev.teardown.TcpInfo#of(java.nio.channels.SocketChannel)} and
 * {@link dev.teardown.inspect.PeerCheck#isPeerClosed(java.nio.channels.SocketChannel)} read the descriptor
 * behind a JDK channel, which needs the JVM option {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}.
 * They never close or change it. The table, owners and watchdog need no option: they work from inodes.
 *
 * <p>Linux only. Nothing here exposes JNA; the native parts live in {@code dev.teardown.posix}.
 */
package dev.teardown.inspect;

import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
