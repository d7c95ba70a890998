package dev.teardown.examples;

/**
 * One TCP segment as {@code tcpdump -n -tt -S} prints it: capture time, ports, flags (tcpdump's letters:
 * S SYN, F FIN, R RST, P PSH, . ACK), absolute sequence and acknowledgment numbers, payload length. tcpdump
 * prints no sequence number on a bare ACK ({@code hasSeq} false).
 */
record Packet(double time, int srcPort, int dstPort, String flags, long seq, boolean hasSeq, long ack, boolean hasAck, int length) {
    boolean syn() {
        return flags.contains("S");
    }

    boolean fin() {
        return flags.contains("F");
    }

    boolean rst() {
        return flags.contains("R");
    }

    /** The sequence number after this segment (SYN and FIN count one each). */
    long seqEnd() {
        return (seq + length + (syn() ? 1 : 0) + (fin() ? 1 : 0)) & 0xffffffffL;
    }

    /** Flags spelled out as in the textbooks: SYN, SYN+ACK, FIN+ACK, RST, PSH+ACK, ACK. */
    String flagNames() {
        StringBuilder b = new StringBuilder();
        for (char c : flags.toCharArray()) {
            String n = switch (c) {
                case 'S' -> "SYN";
                case 'F' -> "FIN";
                case 'R' -> "RST";
                case 'P' -> "PSH";
                case 'U' -> "URG";
                case 'E' -> "ECE";
                case 'W' -> "CWR";
                case '.' -> "ACK";
                default -> null;
            };
            if (n != null) {
                b.append(b.length() == 0 ? "" : "+").append(n);
            }
        }
        return b.toString();
    }

    /**
     * Parses one line, e.g. {@code 1700000000.123456 IP 127.0.0.1.41234 > 127.0.0.1.8080: Flags [F.], seq 12,
     * ack 34, win 512, length 0} (IPv6: {@code IP6 ::1.41234 > ::1.8080: ...}); null for a line that is not a
     * TCP segment.
     */
    static Packet parse(String line) {
        int flagsAt = line.indexOf("Flags [");
        int gt = line.indexOf(" > ");
        int sp = line.indexOf(' ');
        if (flagsAt < 0 || gt < 0 || sp < 0 || gt > flagsAt) {
            return null;
        }
        try {
            double time = Double.parseDouble(line.substring(0, sp));
            int src = port(line.substring(0, gt));
            int dst = port(line.substring(gt + 3, line.indexOf(": ", gt)));
            String flags = line.substring(flagsAt + 7, line.indexOf(']', flagsAt));
            String seqField = field(line, " seq ");
            long seq = 0;
            if (seqField != null) {
                int colon = seqField.indexOf(':');
                seq = Long.parseLong(colon < 0 ? seqField : seqField.substring(0, colon));
            }
            String ackField = field(line, " ack ");
            String lenField = field(line, " length ");
            return new Packet(time, src, dst, flags, seq, seqField != null, ackField == null ? 0 : Long.parseLong(ackField), ackField != null,
                    lenField == null ? 0 : Integer.parseInt(lenField));
        } catch (RuntimeException notTcp) {
            return null;
        }
    }

    private static String field(String line, String name) {
        int at = line.indexOf(name);
        if (at < 0) {
            return null;
        }
        int from = at + name.length();
        int to = from;
        while (to < line.length() && (Character.isDigit(line.charAt(to)) || line.charAt(to) == ':')) {
            to++;
        }
        return line.substring(from, to);
    }

    private static int port(String hostDotPort) {
        return Integer.parseInt(hostDotPort.substring(hostDotPort.lastIndexOf('.') + 1).trim());
    }
}
