package dev.teardown;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Checksummed transfers for the fault and data-integrity tests: a payload of random bytes, and a reader that
 * reads a socket to its end (EOF, reset, or a read timeout), comparing every byte with the payload as it
 * goes, so a received prefix is known to be exact.
 */
final class Transfer {
    private Transfer() {}

    /** Random bytes and their CRC32. */
    record Payload(byte[] bytes, long crc) {
        static Payload random(int size, long seed) {
            byte[] b = new byte[size];
            new Random(seed).nextBytes(b);
            return new Payload(b, Transfer.crc(b, b.length));
        }

        int size() {
            return bytes.length;
        }

        ByteBuffer direct() {
            return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        }
    }

    /**
     * What a reader got: how many bytes, their CRC32, whether they were exactly the payload's first bytes,
     * and how the stream ended (null: a clean EOF).
     */
    record Received(long bytes, long crc, boolean prefixExact, Exception end) {
        boolean complete(Payload p) {
            return bytes == p.size() && crc == p.crc() && prefixExact && end == null;
        }

        @Override
        public String toString() {
            return bytes + " bytes, crc " + Long.toHexString(crc) + (prefixExact ? ", exact prefix" : ", CORRUPTED")
                    + ", ended by " + (end == null ? "EOF" : end.toString());
        }
    }

    /**
     * Reads {@code s} to its end in chunks of at most {@code chunk} bytes, sleeping {@code pauseMillis} between
     * reads (a slow reader), each read waiting at most {@code readTimeout}; compares the bytes with {@code p}.
     */
    static Received readToEnd(TcpSocket s, Payload p, int chunk, long pauseMillis, Duration readTimeout) {
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        CRC32 crc = new CRC32();
        long got = 0;
        boolean exact = true;
        Exception end = null;
        try {
            for (;;) {
                buf.clear();
                int n = s.read(buf, readTimeout);
                if (n < 0) {
                    break;
                }
                byte[] a = buf.array();
                crc.update(a, 0, n);
                if (exact && (got + n > p.size()
                        || !Arrays.equals(a, 0, n, p.bytes(), (int) got, (int) got + n))) {
                    exact = false;
                }
                got += n;
                if (pauseMillis > 0) {
                    Net.sleepMillis(pauseMillis);
                }
            }
        } catch (TcpException e) {
            end = e;
        }
        return new Received(got, crc.getValue(), exact, end);
    }

    static long crc(byte[] b, int len) {
        CRC32 c = new CRC32();
        c.update(b, 0, len);
        return c.getValue();
    }
}
