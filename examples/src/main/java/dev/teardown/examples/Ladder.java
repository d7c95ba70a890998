package dev.teardown.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection's capture drawn as the textbooks draw the four-way close: a row per segment with its time, an
 * arrow for its direction, its flags, sequence and acknowledgment numbers (relative to each side's SYN), and
 * beside it each side's state after it. A state is what teardown's TcpTable read between this segment and the
 * next; in parentheses, what the segments imply (a state that lasted less than the table's ~100 ms samples,
 * such as FIN_WAIT1 or LAST_ACK on loopback). Long runs of plain data and ACK segments are folded into one line.
 */
final class Ladder {
    static final int ARROW = 46;

    /** A row: a segment and the states after it, or (packet null) a note standing for segments left out. */
    record Row(Packet packet, boolean fromClient, long seq, long ack, String client, boolean clientSeen, String server,
               boolean serverSeen, String note) {
        /** The label on the arrow, e.g. {@code FIN+ACK seq=1 ack=1}. */
        String label() {
            String s = packet.flagNames() + (packet.hasSeq() ? " seq=" + seq : "") + (packet.length() > 0 ? ":" + (seq + packet.length()) : "");
            return s + (packet.hasAck() ? " ack=" + ack : "") + (packet.length() > 0 ? " (" + packet.length() + " B)" : "");
        }

        static String show(String state, boolean seen) {
            return seen ? state : "(" + state + ")";
        }
    }

    final String clientName;
    final String serverName;
    final double start;
    final List<Row> rows;
    /** The connection's segments, unfolded. */
    final List<Packet> packets;

    private Ladder(String clientName, String serverName, double start, List<Row> rows, List<Packet> packets) {
        this.packets = packets;
        this.clientName = clientName;
        this.serverName = serverName;
        this.start = start;
        this.rows = rows;
    }

    /** The segments between the two ports, in capture order. */
    static List<Packet> between(List<Packet> all, int clientPort, int serverPort) {
        List<Packet> out = new ArrayList<>();
        for (Packet p : all) {
            if ((p.srcPort() == clientPort && p.dstPort() == serverPort) || (p.srcPort() == serverPort && p.dstPort() == clientPort)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Builds the ladder of the connection client port ↔ server port from a capture and the table's samples. */
    static Ladder of(List<Packet> all, int clientPort, int serverPort, List<Timeline.Sample> samples) {
        List<Packet> ps = between(all, clientPort, serverPort);
        long clientBase = base(ps, clientPort, serverPort);
        long serverBase = base(ps, serverPort, clientPort);
        Implied implied = new Implied();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            Packet p = ps.get(i);
            boolean fromClient = p.srcPort() == clientPort;
            implied.apply(p, fromClient);
            double next = i + 1 < ps.size() ? ps.get(i + 1).time() : Double.MAX_VALUE;
            String c = seen(samples, Timeline.key(clientPort, serverPort), p.time(), next);
            String s = seen(samples, Timeline.key(serverPort, clientPort), p.time(), next);
            long seq = rel(p.seq(), fromClient ? clientBase : serverBase);
            long ack = rel(p.ack(), fromClient ? serverBase : clientBase);
            rows.add(new Row(p, fromClient, seq, ack, c != null ? c : implied.client, c != null, s != null ? s : implied.server,
                    s != null, null));
            implied.seen(c, s);
        }
        return new Ladder("client :" + clientPort, "server :" + serverPort, ps.isEmpty() ? 0 : ps.get(0).time(), fold(rows), ps);
    }

    /** The state the table saw for {@code key} in the first reading taken wholly between {@code after} and {@code before}. */
    private static String seen(List<Timeline.Sample> samples, String key, double after, double before) {
        for (Timeline.Sample s : samples) {
            if (s.from() > after && s.to() < before) {
                return s.states().getOrDefault(key, "CLOSED");
            }
        }
        return null;
    }

    /** The initial sequence number of the side sending from {@code src}: its SYN's, else derived from what is seen. */
    private static long base(List<Packet> ps, int src, int dst) {
        for (Packet p : ps) {
            if (p.srcPort() == src && p.syn()) {
                return p.seq();
            }
        }
        for (Packet p : ps) {
            if (p.srcPort() == dst && p.hasAck()) {
                return p.ack() - 1;
            }
        }
        for (Packet p : ps) {
            if (p.srcPort() == src && p.hasSeq()) {
                return p.seq() - 1;
            }
        }
        return 0;
    }

    private static long rel(long n, long base) {
        return (n - base) & 0xffffffffL;
    }

    /** Folds runs of more than four plain segments (no SYN, FIN or RST, states unchanged) into a note. */
    private static List<Row> fold(List<Row> rows) {
        List<Row> out = new ArrayList<>();
        int i = 0;
        while (i < rows.size()) {
            int j = i;
            while (j < rows.size() && plain(rows, j)) {
                j++;
            }
            if (j - i > 4) {
                out.add(rows.get(i));
                out.add(rows.get(i + 1));
                long toServer = 0;
                long toClient = 0;
                int n = 0;
                for (int k = i + 2; k < j - 1; k++) {
                    Packet p = rows.get(k).packet();
                    n++;
                    if (rows.get(k).fromClient()) {
                        toServer += p.length();
                    } else {
                        toClient += p.length();
                    }
                }
                out.add(new Row(null, false, 0, 0, null, false, null, false, String.format(
                        "%d more segments: %d B to the server, %d B to the client", n, toServer, toClient)));
                out.add(rows.get(j - 1));
                i = j;
            } else {
                out.add(rows.get(i));
                i++;
            }
        }
        return out;
    }

    private static boolean plain(List<Row> rows, int k) {
        Row r = rows.get(k);
        Packet p = r.packet();
        if (p.syn() || p.fin() || p.rst() || k == 0) {
            return false;
        }
        Row prev = rows.get(k - 1);
        return r.client().equals(prev.client()) && r.server().equals(prev.server()) && r.clientSeen() == prev.clientSeen()
                && r.serverSeen() == prev.serverSeen();
    }

    /** The ladder as text lines. */
    List<String> text() {
        List<String> out = new ArrayList<>();
        out.add(String.format("%10s  %-14s %-" + ARROW + "s  %s", "ms", clientName, "", serverName));
        for (Row r : rows) {
            if (r.packet() == null) {
                out.add(String.format("%10s  %-14s %-" + ARROW + "s", "", "", "   ...  " + r.note() + "  ..."));
                continue;
            }
            out.add(String.format("%10.3f  %-14s %s  %s", (r.packet().time() - start) * 1000,
                    Row.show(r.client(), r.clientSeen()), arrow(r), Row.show(r.server(), r.serverSeen())));
        }
        return out;
    }

    private static String arrow(Row r) {
        String label = " " + r.label() + " ";
        int dashes = Math.max(2, ARROW - 3 - label.length());
        return r.fromClient() ? "--" + label + "-".repeat(dashes) + ">" : "<" + "-".repeat(dashes) + label + "--";
    }

    /**
     * Stops the capture, prints the ladder of client port ↔ server port under a legend, writes it as
     * {@code <label>.txt} and {@code <label>.svg} in the scenario's run directory, and returns it.
     */
    static Ladder show(Timeline t, Capture cap, int clientPort, int serverPort, String scenario, String label, String title)
            throws IOException, InterruptedException {
        List<Packet> all = cap.stop();
        Ladder l = of(all, clientPort, serverPort, t.samples());
        List<String> lines = new ArrayList<>();
        lines.add("packet ladder: " + title);
        lines.add("  (tcpdump on lo; seq/ack relative to each side's SYN; a state is what TcpTable read after the segment,"
                + " (STATE) what the segments imply where the state lasted less than the table's ~100 ms samples)");
        for (String s : l.text()) {
            lines.add("  " + s);
        }
        for (String s : lines) {
            t.print(s);
        }
        Path txt = Runs.file(scenario, label + ".txt");
        Files.write(txt, lines, StandardCharsets.UTF_8);
        Files.writeString(Runs.file(scenario, label + ".svg"), SvgLadder.render(l, title), StandardCharsets.UTF_8);
        return l;
    }

    /** The row of segment {@code p}, with the states it left; null if folded away. */
    Row row(Packet p) {
        for (Row r : rows) {
            if (r.packet() == p) {
                return r;
            }
        }
        return null;
    }

    /** The textbook state machine, run over the segments: what each side's state must be after each one. */
    static final class Implied {
        String client = "CLOSED";
        String server = "LISTEN";
        private long clientFinAck = -1;
        private long serverFinAck = -1;

        /** What the table read wins over what the segments imply (e.g. a socket the kernel destroyed). */
        void seen(String clientState, String serverState) {
            client = clientState != null ? clientState : client;
            server = serverState != null ? serverState : server;
        }

        void apply(Packet p, boolean fromClient) {
            if (p.rst()) {
                client = "CLOSED";
                server = "CLOSED";
                return;
            }
            String sender = fromClient ? client : server;
            String receiver = fromClient ? server : client;
            if (p.syn()) {
                sender = "SYN_" + (p.hasAck() ? "RECV" : "SENT");
                receiver = p.hasAck() ? "ESTABLISHED" : "SYN_RECV";
            } else {
                long receiverFinAck = fromClient ? serverFinAck : clientFinAck;
                if (p.hasAck() && receiver.equals("SYN_RECV")) {
                    receiver = "ESTABLISHED";
                }
                if (p.hasAck() && receiverFinAck >= 0 && p.ack() == receiverFinAck) {
                    receiver = switch (receiver) {
                        case "FIN_WAIT1" -> "FIN_WAIT2";
                        case "CLOSING" -> "TIME_WAIT";
                        case "LAST_ACK" -> "CLOSED";
                        default -> receiver;
                    };
                }
                if (p.fin()) {
                    if (fromClient ? clientFinAck < 0 : serverFinAck < 0) {
                        sender = sender.equals("CLOSE_WAIT") ? "LAST_ACK" : "FIN_WAIT1";
                        if (fromClient) {
                            clientFinAck = p.seqEnd() & 0xffffffffL;
                        } else {
                            serverFinAck = p.seqEnd() & 0xffffffffL;
                        }
                    }
                    receiver = switch (receiver) {
                        case "ESTABLISHED" -> "CLOSE_WAIT";
                        case "FIN_WAIT1" -> "CLOSING";
                        case "FIN_WAIT2" -> "TIME_WAIT";
                        default -> receiver;
                    };
                }
            }
            client = fromClient ? sender : receiver;
            server = fromClient ? receiver : sender;
        }
    }
}
