package dev.teardown.bench;

import dev.teardown.CloseMode;
import dev.teardown.TcpSocket;

/** teardown's TcpSocket closed with {@link TcpSocket#closeFast} (RELEASE, SHUTDOWN, ABORT): no outcome. */
final class TeardownFast extends Client.Teardown {
    @Override
    void close(Variant v) {
        TcpSocket t = s;
        s = null;
        switch (v) {
            case CLIENT_FIRST:
            case SERVER_FIRST:
                t.closeFast(CloseMode.RELEASE);
                break;
            case SHUTDOWN:
                t.closeFast(CloseMode.SHUTDOWN);
                break;
            case ABORT:
                t.closeFast(CloseMode.ABORT);
                break;
            default:
                throw new IllegalArgumentException("closeFast has no " + v);
        }
    }
}
