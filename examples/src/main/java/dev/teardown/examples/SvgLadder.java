package dev.teardown.examples;

import java.util.Locale;

/**
 * A {@link Ladder} as an SVG sequence diagram: the client's and the server's lifelines, one sloped arrow per
 * segment (SYN green, FIN blue, RST red), its label, the time on the left and each side's state beside its line
 * (grey, in parentheses, where implied by the capture rather than read from the table). Plain text, no dependencies.
 */
final class SvgLadder {
    private SvgLadder() {}

    private static final int LEFT = 290;
    private static final int RIGHT = 750;
    private static final int TOP = 96;
    private static final int STEP = 38;

    static String render(Ladder l, String title) {
        int height = TOP + l.rows.size() * STEP + 70;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"%d\" "
                + "viewBox=\"0 0 1000 %d\" font-family=\"sans-serif\" font-size=\"13\">%n", height, height));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<defs>\n");
        for (String[] c : new String[][] {{"syn", "#1a8a3a"}, {"fin", "#1f5fc4"}, {"rst", "#c62828"}, {"plain", "#555"}}) {
            b.append(String.format("<marker id=\"h-%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
                    + "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker>%n", c[0], c[1]));
        }
        b.append("</defs>\n");
        text(b, 500, 28, "middle", "font-size=\"16\" font-weight=\"bold\"", title);
        text(b, LEFT, 62, "middle", "font-weight=\"bold\"", l.clientName);
        text(b, RIGHT, 62, "middle", "font-weight=\"bold\"", l.serverName);
        text(b, 20, 62, "start", "fill=\"#555\"", "ms");
        int bottom = TOP + l.rows.size() * STEP;
        b.append(String.format("<line x1=\"%d\" y1=\"72\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-width=\"2\"/>%n", LEFT, LEFT, bottom));
        b.append(String.format("<line x1=\"%d\" y1=\"72\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-width=\"2\"/>%n", RIGHT, RIGHT, bottom));
        int y = TOP;
        for (Ladder.Row r : l.rows) {
            if (r.packet() == null) {
                text(b, (LEFT + RIGHT) / 2, y + 14, "middle", "font-style=\"italic\" fill=\"#777\"", "⋮ " + r.note());
                y += STEP;
                continue;
            }
            Packet p = r.packet();
            String kind = p.rst() ? "rst" : p.fin() ? "fin" : p.syn() ? "syn" : "plain";
            String color = switch (kind) {
                case "rst" -> "#c62828";
                case "fin" -> "#1f5fc4";
                case "syn" -> "#1a8a3a";
                default -> "#555";
            };
            int x1 = r.fromClient() ? LEFT : RIGHT;
            int x2 = r.fromClient() ? RIGHT : LEFT;
            b.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%s\" marker-end=\"url(#h-%s)\"/>%n",
                    x1, y, x2, y + 18, color, kind.equals("plain") ? "1.2" : "2", kind));
            text(b, (LEFT + RIGHT) / 2, y + 2, "middle", "font-family=\"monospace\" font-size=\"12\" fill=\"" + color + "\"", r.label());
            text(b, 20, y + 14, "start", "font-family=\"monospace\" font-size=\"12\" fill=\"#555\"",
                    String.format(Locale.ROOT, "%.3f", (p.time() - l.start) * 1000));
            state(b, LEFT - 12, y + 18, "end", r.client(), r.clientSeen());
            state(b, RIGHT + 12, y + 18, "start", r.server(), r.serverSeen());
            y += STEP;
        }
        text(b, 20, bottom + 30, "start", "font-size=\"11\" fill=\"#555\"",
                "tcpdump on lo; seq/ack relative to each side's SYN. STATE: read by teardown's TcpTable after the segment;");
        text(b, 20, bottom + 46, "start", "font-size=\"11\" fill=\"#555\"",
                "(STATE): implied by the segments, where it lasted less than the table's ~100 ms samples.");
        b.append("</svg>\n");
        return b.toString();
    }

    private static void state(StringBuilder b, int x, int y, String anchor, String state, boolean seen) {
        text(b, x, y, anchor, seen ? "font-weight=\"bold\"" : "font-style=\"italic\" fill=\"#888\"", seen ? state : "(" + state + ")");
    }

    private static void text(StringBuilder b, int x, int y, String anchor, String attrs, String s) {
        b.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" %s>%s</text>%n", x, y, anchor, attrs, escape(s)));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
