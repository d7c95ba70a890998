package dev.teardown.agent.report;

/**
 * One TCP socket of a process as the kernel shows it: the descriptor that holds it, its state and endpoints, and the
 * bytes queued.
 *
 * @param fd the lowest descriptor of the process that refers to the socket
 * @param inode the socket's inode
 * @param state the TCP state, spelled as the kernel does ({@code CLOSE_WAIT}, {@code ESTABLISHED}...)
 * @param local the local endpoint, {@code host:port}, IPv6 hosts in brackets
 * @param remote the remote endpoint
 * @param recvQ bytes received and not read by the process
 * @param sendQ bytes not yet acknowledged by the peer
 */
public record KernelSocket(int fd, long inode, String state, String local, String remote, long recvQ, long sendQ) {}
