package dev.teardown.cli;

/**
 * Shows bytes that any local user controls (command lines, process names) without letting them act on a
 * terminal or break a format: printable UTF-8 passes through; control characters (C0, DEL, C1), bidirectional
 * overrides, line separators, invalid UTF-8 and the backslash itself are written as {@code \xHH} per byte
 * ({@code \\} for a backslash), so the result is unambiguous and pure printable text.
 */
final class Untrusted {
    private Untrusted() {}

    /** The first {@code length} bytes of {@code raw}, escaped. */
    static String escape(byte[] raw, int length) {
        StringBuilder out = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b = raw[i] & 0xff;
            int n;
            int cp;
            if (b < 0x80) {
                n = 1;
                cp = b;
            } else if (b >= 0xc2 && b <= 0xdf) {
                n = 2;
                cp = b & 0x1f;
            } else if (b >= 0xe0 && b <= 0xef) {
                n = 3;
                cp = b & 0x0f;
            } else if (b >= 0xf0 && b <= 0xf4) {
                n = 4;
                cp = b & 0x07;
            } else {
                n = -1;
                cp = -1;
            }
            if (n > 1) {
                if (i + n > length) {
                    n = -1;
                } else {
                    for (int k = 1; k < n; k++) {
                        int c = raw[i + k] & 0xff;
                        if ((c & 0xc0) != 0x80) {
                            n = -1;
                            break;
                        }
                        cp = cp << 6 | (c & 0x3f);
                    }
                }
                // overlong forms, surrogates and values above U+10FFFF are invalid UTF-8
                if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) || n == 4 && (cp < 0x10000 || cp > 0x10ffff)) {
                    n = -1;
                }
            }
            if (n < 0) {
                hex(out, b);
                i++;
                continue;
            }
            if (cp == '\\') {
                out.append("\\\\");
            } else if (printable(cp)) {
                out.appendCodePoint(cp);
            } else {
                for (int k = 0; k < n; k++) {
                    hex(out, raw[i + k] & 0xff);
                }
            }
            i += n;
        }
        return out.toString();
    }

    /** A Java string (already decoded) made safe the same way. */
    static String escape(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return escape(b, b.length);
    }

    static boolean printable(int cp) {
        return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0)
                && !(cp >= 0x200e && cp <= 0x200f) && !(cp >= 0x2028 && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069)
                && cp != 0xfeff;
    }

    private static void hex(StringBuilder out, int b) {
        out.append("\\x").append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
    }

    /**
     * An escaped command line as a table shows it: the program's file name without its directory, then the
     * arguments ({@code /usr/bin/python3 worker.py} becomes {@code python3 worker.py}), cut to {@code max}.
     */
    static String brief(String command, int max) {
        int space = command.indexOf(' ');
        String program = space < 0 ? command : command.substring(0, space);
        int slash = program.lastIndexOf('/');
        String b = slash >= 0 && slash < program.length() - 1 ? command.substring(slash + 1) : command;
        return shorten(b, max);
    }

    /** {@code s} cut to {@code max} characters, with "..." at the end when cut. */
    static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, Math.max(0, max - 3)) + "...";
    }
}
