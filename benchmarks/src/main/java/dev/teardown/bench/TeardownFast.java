package dev.teardown.bench;

import dev.teardown.CloseMode;
import dev.teardown.TcpSocket;

/** teardown's TcpSocket closed with {@link TcpSocket#closeFast} (RELEASE, SHUTDOWN, ABORT): no outcome. */
final class TeardownFast extends Client.Teardown {
    @Override
    void close(Variant v) {
        CloseMode mode = plainMode(v);
        if (mode == null) {
            throw new IllegalArgumentException("closeFast has no " + v);
        }
        TcpSocket t = s;
        s = null;
        t.closeFast(mode);
    }
}
