package dev.teardown.agent.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A strict little JSON parser for the tests: objects become maps, arrays lists, numbers longs. Rejects bad input. */
public final class MiniJson {
    private final String s;
    private int i;

    private MiniJson(String s) {
        this.s = s;
    }

    public static Object parse(String text) {
        MiniJson p = new MiniJson(text.trim());
        Object v = p.value();
        if (p.i != p.s.length()) {
            throw new IllegalArgumentException("trailing text at " + p.i);
        }
        return v;
    }

    private Object value() {
        char c = s.charAt(i);
        switch (c) {
            case '{': {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                do {
                    String k = string();
                    expect(':');
                    m.put(k, value());
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != '}') {
                    throw new IllegalArgumentException("expected } at " + (i - 1));
                }
                return m;
            }
            case '[': {
                List<Object> l = new ArrayList<>();
                i++;
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                do {
                    l.add(value());
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != ']') {
                    throw new IllegalArgumentException("expected ] at " + (i - 1));
                }
                return l;
            }
            case '"':
                return string();
            default:
                for (String lit : new String[] {"true", "false", "null"}) {
                    if (s.startsWith(lit, i)) {
                        i += lit.length();
                        return lit.equals("null") ? null : Boolean.valueOf(lit);
                    }
                }
                int start = i;
                while (i < s.length() && "-0123456789".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                return Long.parseLong(s.substring(start, i));
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        for (char c; (c = s.charAt(i++)) != '"'; ) {
            if (c < 0x20) {
                throw new IllegalArgumentException("raw control character at " + (i - 1));
            }
            if (c == '\\') {
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    case '"', '\\', '/' -> b.append(e);
                    default -> throw new IllegalArgumentException("bad escape at " + (i - 1));
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private void expect(char c) {
        if (s.charAt(i++) != c) {
            throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
        }
    }
}
