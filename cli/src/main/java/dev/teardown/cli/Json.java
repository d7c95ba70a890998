package dev.teardown.cli;

/**
 * A minimal streaming JSON writer: objects, arrays, strings, numbers, booleans. Commas are placed by the writer;
 * strings are escaped so that the document is valid whatever characters they hold (control characters as
 * {@code \}{@code uXXXX}, lone surrogates replaced).
 */
final class Json {
    private final StringBuilder b = new StringBuilder();
    private boolean needComma;

    Json begin() {
        comma();
        b.append('{');
        needComma = false;
        return this;
    }

    Json end() {
        b.append('}');
        needComma = true;
        return this;
    }

    Json array(String name) {
        key(name);
        b.append('[');
        needComma = false;
        return this;
    }

    Json endArray() {
        b.append(']');
        needComma = true;
        return this;
    }

    Json object(String name) {
        key(name);
        b.append('{');
        needComma = false;
        return this;
    }

    Json field(String name, String value) {
        key(name);
        if (value == null) {
            b.append("null");
        } else {
            string(value);
        }
        needComma = true;
        return this;
    }

    Json field(String name, long value) {
        key(name);
        b.append(value);
        needComma = true;
        return this;
    }

    Json field(String name, double value) {
        key(name);
        b.append(Double.isFinite(value) ? Text.number(value) : "null");
        needComma = true;
        return this;
    }

    Json field(String name, boolean value) {
        key(name);
        b.append(value);
        needComma = true;
        return this;
    }

    /** A string element of the current array. */
    Json value(String value) {
        comma();
        string(value);
        needComma = true;
        return this;
    }

    /** A number element of the current array. */
    Json value(long value) {
        comma();
        b.append(value);
        needComma = true;
        return this;
    }

    /** A complete JSON value made by another writer, as an element of the current array. */
    Json raw(String json) {
        comma();
        b.append(json);
        needComma = true;
        return this;
    }

    private void key(String name) {
        comma();
        string(name);
        b.append(':');
    }

    private void comma() {
        if (needComma) {
            b.append(',');
        }
    }

    private void string(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                b.append(String.format("\\u%04x", (int) c));
            } else if (Character.isSurrogate(c)) {
                boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
                if (pair) {
                    b.append(c).append(s.charAt(++i));
                } else {
                    b.append("\\ufffd");
                }
            } else {
                b.append(c);
            }
        }
        b.append('"');
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
