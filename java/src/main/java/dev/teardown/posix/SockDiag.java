package dev.teardown.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernel's TCP socket table through {@code NETLINK_SOCK_DIAG}: encodes {@code inet_diag_req_v2}
 * requests (a dump with a state bitmask and an optional port filter as {@code inet_diag} bytecode, or the
 * lookup of one connection) and decodes each {@code inet_diag_msg} answer into a reusable {@link Record}.
 *
 * <p>A netlink socket belongs to the network namespace of the thread that created it, so an instance
 * reads the namespace of the thread that called {@link #open()}. One instance serves one thread at a
 * time; it owns a close-on-exec descriptor, released by {@link #close()}.
 *
 * <p>Layouts (include/uapi/linux/inet_diag.h, netlink.h), all little-endian on the supported CPUs except
 * the ports and addresses, which are in network order:
 * <pre>
 * nlmsghdr        u32 len, u16 type, u16 flags, u32 seq, u32 pid                       16 bytes
 * inet_diag_req_v2 u8 family, u8 protocol, u8 ext, u8 pad, u32 states, inet_diag_sockid  56 bytes
 * inet_diag_sockid be16 sport, be16 dport, be32 src[4], be32 dst[4], u32 if, u32 cookie[2] 48 bytes
 * inet_diag_msg    u8 family, state, timer, retrans, sockid, u32 expires, rqueue, wqueue, uid, inode 72 bytes
 * </pre>
 */
public final class SockDiag implements AutoCloseable {
    /** Netlink protocol number of sock_diag. */
    public static final int NETLINK_SOCK_DIAG = 4;

    static final int SOCK_DIAG_BY_FAMILY = 20;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
    static final int NLMSG_HDRLEN = 16;
    static final int REQ_LEN = 56;
    static final int MSG_LEN = 72;
    static final int INET_DIAG_REQ_BYTECODE = 1;
    static final int INET_DIAG_INFO = 2;
    /** Extension bit for {@link #dump(int, int, int, int, Sink)}: each answer carries the socket's {@code tcp_info}. */
    public static final int EXT_TCP_INFO = 1 << (INET_DIAG_INFO - 1);
    static final int BC_JMP = 1;
    static final int BC_S_EQ = 11;
    static final int BC_D_EQ = 12;
    static final int SOCKADDR_NL_LEN = 12;
    /** Netlink dumps fill at most 32 KiB per message batch; twice that leaves room to spare. */
    static final int RECV_SIZE = 64 * 1024;

    private static final ThreadLocal<ByteBuffer> RECV_BUFFER = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(RECV_SIZE).order(ByteOrder.nativeOrder()));
    private static final ThreadLocal<long[]> RECV_ADDRESS = ThreadLocal.withInitial(() -> new long[] {0});

    /** A sock_diag call failed with {@link #errno}. */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        /** The call that failed, for messages. */
        public final String call;
        /** The errno the kernel returned, or 0 for a malformed answer. */
        public final int errno;

        Failure(String call, int errno, String what) {
            super(call + ": " + what);
            this.call = call;
            this.errno = errno;
        }

        static Failure of(String call, int errno) {
            return new Failure(call, errno, Errno.name(errno) + " (" + Errno.describe(errno) + ")");
        }

        /**
         * True when the failure means sock_diag is not available here (no netlink, no inet_diag module, or
         * a sandbox that forbids it), so a caller may fall back to {@code /proc/net/tcp}.
         */
        public boolean refused() {
            return errno == Errno.EPERM || errno == Errno.EACCES || errno == Errno.ENOENT
                    || errno == Errno.EAFNOSUPPORT || errno == Errno.EPROTONOSUPPORT || errno == Errno.EOPNOTSUPP;
        }
    }

    /**
     * One decoded {@code inet_diag_msg}. The same instance is refilled for every socket of a dump: copy
     * what you keep. Unsigned 32-bit fields are widened to long.
     */
    public static final class Record {
        /** AF_INET or AF_INET6 (a v4-mapped IPv6 socket is AF_INET6). */
        public int family;
        /** Kernel TCP state number; a time-wait socket reports its substate (TIME_WAIT or FIN_WAIT2). */
        public int state;
        /** 0 none, 1 retransmit (ss "on"), 2 keepalive, 3 timewait, 4 zero-window probe (ss "persist"). */
        public int timer;
        /** Retransmits or probes of the running timer. */
        public int retrans;
        public int localPort;
        public int remotePort;
        /** Network order; 4 bytes used for AF_INET, 16 for AF_INET6. */
        public final byte[] localAddress = new byte[16];
        public final byte[] remoteAddress = new byte[16];
        /** Milliseconds until the timer fires (0 if none). */
        public long expiresMillis;
        /** Unread bytes (LISTEN: accept queue length). */
        public long receiveQueue;
        /** Unacknowledged bytes (LISTEN: backlog limit). */
        public long sendQueue;
        public long uid;
        /** Socket inode; 0 when no descriptor refers to it (orphaned, time-wait). */
        public long inode;
        public long cookie;
        /**
         * The socket's {@code struct tcp_info} when the dump asked for {@link #EXT_TCP_INFO} and the kernel sent it
         * (not for time-wait and request sockets): its first {@link #infoLength} bytes; 0 otherwise.
         */
        public final byte[] info = new byte[TcpInfoLayout.BUFFER_SIZE];
        /** Bytes of {@link #info} filled for this socket; 0 when the answer carried no tcp_info. */
        public int infoLength;

        /** Address length in bytes for {@link #family}. */
        public int addressLength() {
            return family == Os.AF_INET ? 4 : 16;
        }
    }

    /** Receives each socket of a dump. */
    public interface Sink {
        void accept(Record r);
    }

    private final int fd;
    private int seq;
    private boolean closed;

    private SockDiag(int fd) {
        this.fd = fd;
    }

    /** Opens a sock_diag netlink socket in the calling thread's network namespace. */
    public static SockDiag open() throws Failure {
        if (!Os.LINUX) {
            throw new Failure("socket(AF_NETLINK)", Errno.EAFNOSUPPORT, "sock_diag is Linux-only");
        }
        int fd = Libc.socket(Os.AF_NETLINK, Os.SOCK_RAW | Os.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0) {
            throw Failure.of("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", Libc.errno());
        }
        return new SockDiag(fd);
    }

    /**
     * Dumps the TCP sockets of {@code family} whose state bit is set in {@code stateMask} (bit {@code 1 <<
     * state}), and, when {@code port} is non-zero, whose local or remote port equals it (filtered by the
     * kernel with inet_diag bytecode). Returns the number of sockets passed to {@code sink}.
     */
    public int dump(int family, int stateMask, int port, Sink sink) throws Failure {
        return dump(family, stateMask, port, 0, sink);
    }

    /**
     * As {@link #dump(int, int, int, Sink)}, asking the kernel for the extensions in {@code extensions}
     * (0, or {@link #EXT_TCP_INFO}).
     */
    public int dump(int family, int stateMask, int port, int extensions, Sink sink) throws Failure {
        byte[] bytecode = port == 0 ? null : portBytecode(port);
        int attrLen = bytecode == null ? 0 : 4 + bytecode.length;
        int len = NLMSG_HDRLEN + REQ_LEN + attrLen;
        byte[] req = new byte[len];
        int s = header(req, len, NLM_F_REQUEST | NLM_F_DUMP);
        request(req, family, stateMask);
        req[NLMSG_HDRLEN + 2] = (byte) extensions;
        if (bytecode != null) {
            int a = NLMSG_HDRLEN + REQ_LEN;
            putShort(req, a, attrLen);
            putShort(req, a + 2, INET_DIAG_REQ_BYTECODE);
            System.arraycopy(bytecode, 0, req, a + 4, bytecode.length);
        }
        send(req, "sock_diag dump");
        return receive(s, true, sink, "sock_diag dump");
    }

    /**
     * Looks up the one connection with these endpoints (addresses in network order, 4 or 16 bytes; for a
     * v4-mapped IPv6 socket pass the 16-byte mapped form with {@code family} AF_INET6). Returns true and
     * fills {@code into} if the kernel has it, false if not.
     */
    public boolean lookup(int family, byte[] local, int localPort, byte[] remote, int remotePort, Record into)
            throws Failure {
        int len = NLMSG_HDRLEN + REQ_LEN;
        byte[] req = new byte[len];
        int s = header(req, len, NLM_F_REQUEST);
        request(req, family, -1);
        int id = NLMSG_HDRLEN + 8;
        req[id] = (byte) (localPort >>> 8);
        req[id + 1] = (byte) localPort;
        req[id + 2] = (byte) (remotePort >>> 8);
        req[id + 3] = (byte) remotePort;
        System.arraycopy(local, 0, req, id + 4, local.length);
        System.arraycopy(remote, 0, req, id + 20, remote.length);
        // if = 0; cookie = INET_DIAG_NOCOOKIE (~0U, ~0U)
        for (int i = id + 40; i < id + 48; i++) {
            req[i] = (byte) 0xff;
        }
        send(req, "sock_diag lookup");
        Record[] found = {null};
        try {
            receive(s, false, r -> {
                copy(r, into);
                found[0] = into;
            }, "sock_diag lookup");
        } catch (Failure f) {
            if (f.errno == Errno.ENOENT) {
                return false;
            }
            throw f;
        }
        return found[0] != null;
    }

    private int header(byte[] req, int len, int flags) {
        int s = ++seq;
        Sockaddr.putIntLE(req, 0, len);
        putShort(req, 4, SOCK_DIAG_BY_FAMILY);
        putShort(req, 6, flags);
        Sockaddr.putIntLE(req, 8, s);
        return s;
    }

    private static void request(byte[] req, int family, int stateMask) {
        int r = NLMSG_HDRLEN;
        req[r] = (byte) family;
        req[r + 1] = (byte) Os.IPPROTO_TCP;
        req[r + 2] = 0; // no extensions
        Sockaddr.putIntLE(req, r + 4, stateMask);
    }

    /**
     * "sport == port or dport == port" in inet_diag bytecode, laid out as iproute2's ss compiles an OR:
     * a failed comparison jumps 4 bytes past its own end (the next alternative, or past the program
     * end = reject); the JMP between the alternatives skips to the program end (accept).
     * <pre>
     *  0: S_EQ yes=8 no=12 | 4: port       (no: to 12)
     *  8: JMP  yes=4 no=12                 (runtime: to 20 = end, accept)
     * 12: D_EQ yes=8 no=12 | 16: port      (no: to 24 = past end, reject)
     * </pre>
     */
    static byte[] portBytecode(int port) {
        byte[] b = new byte[20];
        op(b, 0, BC_S_EQ, 8, 12);
        op(b, 4, 0, 0, port);
        op(b, 8, BC_JMP, 4, 12);
        op(b, 12, BC_D_EQ, 8, 12);
        op(b, 16, 0, 0, port);
        return b;
    }

    private static void op(byte[] b, int off, int code, int yes, int no) {
        b[off] = (byte) code;
        b[off + 1] = (byte) yes;
        putShort(b, off + 2, no);
    }

    private void send(byte[] req, String call) throws Failure {
        checkOpen();
        byte[] nl = new byte[SOCKADDR_NL_LEN];
        nl[0] = (byte) Os.AF_NETLINK; // family, pad, pid 0 (the kernel), groups 0
        for (;;) {
            long n = Libc.sendto(fd, req, req.length, 0, nl, nl.length);
            if (n >= 0) {
                return;
            }
            int e = Libc.errno();
            if (e != Errno.EINTR) {
                throw Failure.of(call, e);
            }
        }
    }

    private int receive(int s, boolean dump, Sink sink, String call) throws Failure {
        ByteBuffer buf = RECV_BUFFER.get();
        long[] addr = RECV_ADDRESS.get();
        if (addr[0] == 0) {
            addr[0] = Buffers.address(buf);
        }
        Record r = new Record();
        int count = 0;
        for (;;) {
            long n = Libc.recv(fd, addr[0], RECV_SIZE, 0);
            if (n < 0) {
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                throw Failure.of(call, e);
            }
            if (n == 0) {
                throw new Failure(call, 0, "netlink socket closed before the answer ended");
            }
            int off = 0;
            while (off + NLMSG_HDRLEN <= n) {
                int len = buf.getInt(off);
                int type = buf.getShort(off + 4) & 0xffff;
                int mseq = buf.getInt(off + 8);
                if (len < NLMSG_HDRLEN || off + len > n) {
                    throw new Failure(call, 0, "malformed netlink message (length " + len + " at " + off + " of " + n + ")");
                }
                if (mseq == s) {
                    if (type == NLMSG_DONE) {
                        int err = len >= NLMSG_HDRLEN + 4 ? buf.getInt(off + NLMSG_HDRLEN) : 0;
                        if (err < 0) {
                            throw Failure.of(call, -err);
                        }
                        return count;
                    }
                    if (type == NLMSG_ERROR) {
                        int err = len >= NLMSG_HDRLEN + 4 ? buf.getInt(off + NLMSG_HDRLEN) : 0;
                        if (err < 0) {
                            throw Failure.of(call, -err);
                        }
                        if (!dump) {
                            return count;
                        }
                    } else if (type == SOCK_DIAG_BY_FAMILY && len >= NLMSG_HDRLEN + MSG_LEN) {
                        decode(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN, r);
                        sink.accept(r);
                        count++;
                        if (!dump) {
                            return count;
                        }
                    }
                }
                off += (len + 3) & ~3;
            }
        }
    }

    private static void decode(ByteBuffer b, int p, int length, Record r) {
        r.family = b.get(p) & 0xff;
        r.state = b.get(p + 1) & 0xff;
        r.timer = b.get(p + 2) & 0xff;
        r.retrans = b.get(p + 3) & 0xff;
        r.localPort = (b.get(p + 4) & 0xff) << 8 | (b.get(p + 5) & 0xff);
        r.remotePort = (b.get(p + 6) & 0xff) << 8 | (b.get(p + 7) & 0xff);
        b.get(p + 8, r.localAddress, 0, 16);
        b.get(p + 24, r.remoteAddress, 0, 16);
        r.cookie = (b.getInt(p + 44) & 0xffffffffL) | (long) b.getInt(p + 48) << 32;
        r.expiresMillis = b.getInt(p + 52) & 0xffffffffL;
        r.receiveQueue = b.getInt(p + 56) & 0xffffffffL;
        r.sendQueue = b.getInt(p + 60) & 0xffffffffL;
        r.uid = b.getInt(p + 64) & 0xffffffffL;
        r.inode = b.getInt(p + 68) & 0xffffffffL;
        r.infoLength = 0;
        // attributes (rtattr: u16 len, u16 type, payload, 4-byte aligned) follow the message
        for (int a = MSG_LEN; a + 4 <= length; ) {
            int alen = b.getShort(p + a) & 0xffff;
            int type = b.getShort(p + a + 2) & 0xffff;
            if (alen < 4 || a + alen > length) {
                break;
            }
            if (type == INET_DIAG_INFO) {
                r.infoLength = Math.min(alen - 4, r.info.length);
                b.get(p + a + 4, r.info, 0, r.infoLength);
            }
            a += (alen + 3) & ~3;
        }
    }

    private static void copy(Record from, Record to) {
        to.family = from.family;
        to.state = from.state;
        to.timer = from.timer;
        to.retrans = from.retrans;
        to.localPort = from.localPort;
        to.remotePort = from.remotePort;
        System.arraycopy(from.localAddress, 0, to.localAddress, 0, 16);
        System.arraycopy(from.remoteAddress, 0, to.remoteAddress, 0, 16);
        to.expiresMillis = from.expiresMillis;
        to.receiveQueue = from.receiveQueue;
        to.sendQueue = from.sendQueue;
        to.uid = from.uid;
        to.inode = from.inode;
        to.cookie = from.cookie;
        to.infoLength = from.infoLength;
        System.arraycopy(from.info, 0, to.info, 0, from.infoLength);
    }

    private static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    private void checkOpen() throws Failure {
        if (closed) {
            throw new Failure("sock_diag", Errno.EBADF, "netlink socket already closed");
        }
    }

    /** Closes the netlink socket, once. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
