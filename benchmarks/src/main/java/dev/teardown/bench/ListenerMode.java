package dev.teardown.bench;

/** The modes of native/accept-close-listener: what the one shared C server does with each connection. */
enum ListenerMode {
    /** Reads until EOF echoing every byte, then closes: the client closes first. */
    WAIT_FOR_CLIENT("wait-for-client"),
    /** Closes right after accept: the server closes first. */
    CLOSE_FIRST("close-first"),
    /** Waits for one byte, echoes it, closes: the server closes first, after the exchange. */
    ECHO_BYTE_THEN_CLOSE("echo-byte-then-close");

    final String arg;

    ListenerMode(String arg) {
        this.arg = arg;
    }

    /** The system property a driver sets so that forks share its listener instead of starting one. */
    String portProperty() {
        return "teardown.bench.port." + arg;
    }
}
