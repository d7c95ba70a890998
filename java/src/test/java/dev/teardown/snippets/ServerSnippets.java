package dev.teardown.snippets;

import dev.teardown.CloseMode;
import dev.teardown.OutOfDescriptorsException;
import dev.teardown.SocketClosedException;
import dev.teardown.TcpException;
import dev.teardown.TcpListener;
import dev.teardown.TcpOption;
import dev.teardown.TcpSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** The examples in TcpListener's Javadoc; compiled and run by SnippetsTest. */
public final class ServerSnippets {
    private ServerSnippets() {}

    /** A listener whose accepted sockets close gracefully. */
    public static TcpListener bind(InetSocketAddress address) throws TcpException {
        // @start region="bind"
        TcpListener listener = TcpListener.builder()
                .backlog(1024)
                .option(TcpOption.TCP_NODELAY, true)                           // set on the listening socket before bind
                .acceptedCloseMode(CloseMode.graceful(Duration.ofSeconds(5))) // what close() does on each connection
                .bind(address);
        // @end
        return listener;
    }

    /** Accepts until the listener is closed, each connection handled and closed on {@code workers}. */
    public static void serve(TcpListener listener, Executor workers, Consumer<TcpSocket> handle) {
        // @start region="accept-loop"
        for (;;) {
            TcpSocket connection;
            try {
                connection = listener.accept();
            } catch (SocketClosedException e) {
                break;                                   // the listener was closed: the server stops
            } catch (OutOfDescriptorsException e) {
                System.err.println(e.getMessage());      // accept() has already paused: retrying does not spin
                continue;
            } catch (TcpException e) {
                System.err.println(e.getMessage());      // ENOBUFS, ENOMEM (paused too), or another errno
                continue;
            }
            workers.execute(() -> {
                try (connection) {                       // close() with the listener's accepted close mode
                    handle.accept(connection);
                }
            });
        }
        // @end
    }
}
