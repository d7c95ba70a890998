package dev.teardown.agent.report;

import java.util.Collection;

/** Just enough JSON writing for the report: strings always valid whatever characters they hold. */
final class Json {
    private Json() {}

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static String strings(Collection<?> items) {
        if (items == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("[");
        for (Object o : items) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(String.valueOf(o)));
        }
        return b.append(']').toString();
    }
}
