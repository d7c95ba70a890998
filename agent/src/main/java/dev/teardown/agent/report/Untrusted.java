package dev.teardown.agent.report;

/** Text that any local user can set (a command line): control characters shown escaped, length bounded. */
final class Untrusted {
    private Untrusted() {}

    static String text(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.length() >= max ? b.substring(0, max) + "..." : b.toString();
    }
}
