package dev.teardown.posix;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Encodes {@link InetSocketAddress} as {@code sockaddr_in} / {@code sockaddr_in6} bytes and back.
 * Linux starts with a 16-bit family in host order (little-endian on every supported CPU); the BSDs
 * start with a length byte and a family byte.
 */
public final class Sockaddr {
    private Sockaddr() {}

    /** Large enough for sockaddr_in6 (28) and sockaddr_storage-sized answers. */
    public static final int MAX_LEN = 128;
    public static final int IN_LEN = 16;
    public static final int IN6_LEN = 28;

    /** The address family that {@code address} needs. */
    public static int family(InetAddress address) {
        return address instanceof Inet6Address ? Os.AF_INET6 : Os.AF_INET;
    }

    /** Writes {@code sa} into {@code out} and returns the length to pass to the kernel. */
    public static int encode(InetSocketAddress sa, byte[] out) {
        InetAddress a = sa.getAddress();
        int port = sa.getPort();
        byte[] raw = a.getAddress();
        if (a instanceof Inet4Address) {
            putFamily(out, Os.AF_INET, IN_LEN);
            out[2] = (byte) (port >>> 8);
            out[3] = (byte) port;
            System.arraycopy(raw, 0, out, 4, 4);
            for (int i = 8; i < IN_LEN; i++) {
                out[i] = 0;
            }
            return IN_LEN;
        }
        putFamily(out, Os.AF_INET6, IN6_LEN);
        out[2] = (byte) (port >>> 8);
        out[3] = (byte) port;
        out[4] = out[5] = out[6] = out[7] = 0; // flowinfo
        System.arraycopy(raw, 0, out, 8, 16);
        int scope = ((Inet6Address) a).getScopeId();
        putIntLE(out, 24, scope);
        return IN6_LEN;
    }

    private static void putFamily(byte[] out, int family, int len) {
        if (Os.MACOS) {
            out[0] = (byte) len;
            out[1] = (byte) family;
        } else {
            out[0] = (byte) family;
            out[1] = (byte) (family >>> 8);
        }
    }

    /** The family stored at the start of an encoded address. */
    public static int familyOf(byte[] in) {
        return Os.MACOS ? (in[1] & 0xff) : ((in[0] & 0xff) | (in[1] & 0xff) << 8);
    }

    /** Decodes what the kernel wrote, or returns null for an address family other than IPv4/IPv6. */
    public static InetSocketAddress decode(byte[] in, int len) {
        int family = familyOf(in);
        int port = (in[2] & 0xff) << 8 | (in[3] & 0xff);
        try {
            if (family == Os.AF_INET && len >= 8) {
                byte[] raw = new byte[4];
                System.arraycopy(in, 4, raw, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(raw), port);
            }
            if (family == Os.AF_INET6 && len >= 24) {
                byte[] raw = new byte[16];
                System.arraycopy(in, 8, raw, 0, 16);
                int scope = len >= IN6_LEN ? getIntLE(in, 24) : 0;
                InetAddress addr = scope != 0 ? Inet6Address.getByAddress(null, raw, scope)
                        : InetAddress.getByAddress(raw);
                return new InetSocketAddress(addr, port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("kernel returned a malformed address", e);
        }
        return null;
    }

    public static void putIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    public static int getIntLE(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
