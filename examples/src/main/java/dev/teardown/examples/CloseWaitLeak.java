package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpSocket;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.spawn.ChildProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The classic CLOSE_WAIT leak: a server hands a connection to a worker process and closes its own copy with
 * a plain close; the client closes; nobody sends the server's FIN because the worker still holds the socket.
 * Then the fix (SHUTDOWN), and the same leak and fix in the C prefork server.
 */
final class CloseWaitLeak implements Scenario {
    @Override
    public String name() {
        return "close-wait-leak";
    }

    @Override
    public String summary() {
        return "a worker process keeps a released socket alive: server CLOSE_WAIT, client FIN_WAIT2; SHUTDOWN fixes it";
    }

    @Override
    public Verdict run(Timeline t) throws Exception {
        Verdict v = new Verdict();
        t.say("--- 1. the leak: server hands the connection to a worker, then close(RELEASE) on its own copy");
        try (Conn c = Conn.open(t, name(), "leak", v)) {
            ChildProcess worker = ChildProcess.builder("sleep", "60").inherit(c.server, 3).stdioToDevNull().start();
            try {
                t.say("server: spawned worker pid " + worker.pid() + " holding the connection at fd 3");
                long inode = SocketOwners.inodeOf(c.server.fd()).orElseThrow();
                CloseOutcome o = c.server.close(CloseMode.RELEASE);
                t.say("server: close(RELEASE) -> " + o.sent() + ": " + o.detail());
                v.check(o.sent() == CloseOutcome.Sent.NOTHING && o.referencesLeft() == 1,
                        "the server's RELEASE sent nothing, one reference (the worker) left", o);
                CloseOutcome co = c.client.close(CloseMode.RELEASE);
                t.say("client: close(RELEASE) -> " + co.sent());
                String server = Ss.await(c.serverPort, c.clientPort, "CLOSE-WAIT", 2000);
                String client = Ss.await(c.clientPort, c.serverPort, "FIN-WAIT-2", 2000);
                Thread.sleep(1000);
                t.sample();
                server = Ss.state(c.serverPort, c.clientPort);
                client = Ss.state(c.clientPort, c.serverPort);
                t.say("ss after 1 s: server side " + server + ", client side " + client);
                v.check(server.equals("CLOSE-WAIT"), "ss: the server side stays in CLOSE-WAIT", server);
                v.check(client.equals("FIN-WAIT-2"), "ss: the client side waits in FIN-WAIT-2", client);
                String table = Timeline.tableState(c.serverPort, c.clientPort);
                v.check(table.equals("CLOSE_WAIT"), "TcpTable agrees: CLOSE_WAIT", table);
                String owners = SocketOwners.of(inode).toString();
                t.say("SocketOwners: " + owners);
                v.check(owners.contains(String.valueOf(worker.pid())), "SocketOwners names the worker pid " + worker.pid(), owners);
                Ladder l = c.ladder(t, name(), "leak", "the leak: a worker holds the server's socket after its RELEASE");
                if (l != null) {
                    long serverFin = l.packets.stream().filter(p -> p.srcPort() == c.serverPort && p.fin()).count();
                    long clientFin = l.packets.stream().filter(p -> p.srcPort() == c.clientPort && p.fin()).count();
                    v.check(clientFin == 1 && serverFin == 0, "capture: the client's FIN went out, the server sent none",
                            clientFin + " client FIN, " + serverFin + " server FIN");
                }
            } finally {
                worker.kill();
                worker.waitFor();
            }
        }

        t.say("--- 2. the fix: the server ends the connection with SHUTDOWN, although the worker still holds it");
        try (Conn c = Conn.open(t, name(), "shutdown-fix", v)) {
            ChildProcess worker = ChildProcess.builder("sleep", "60").inherit(c.server, 3).stdioToDevNull().start();
            try {
                t.say("server: spawned worker pid " + worker.pid() + " holding the connection at fd 3");
                c.client.close(CloseMode.RELEASE);
                t.say("client: close(RELEASE) -> FIN");
                Ss.await(c.serverPort, c.clientPort, "CLOSE-WAIT", 2000);
                t.sample();
                CloseOutcome o = c.server.close(CloseMode.SHUTDOWN);
                t.say("server: close(SHUTDOWN) -> " + o.sent() + ": " + o.detail());
                v.check(o.sent() == CloseOutcome.Sent.FIN, "SHUTDOWN sent FIN although the worker holds the socket", o);
                String server = Ss.await(c.serverPort, c.clientPort, "GONE", 2000);
                String client = Ss.await(c.clientPort, c.serverPort, "TIME-WAIT", 2000);
                t.sample();
                t.say("ss: server side " + server + ", client side " + client);
                v.check(server.equals("GONE"), "ss: the server side is closed (LAST-ACK, then gone)", server);
                v.check(client.equals("TIME-WAIT"), "ss: the client passes into TIME-WAIT", client);
                Ladder l = c.ladder(t, name(), "shutdown-fix", "the fix: SHUTDOWN sends the FIN although the worker holds the socket");
                if (l != null) {
                    long serverFin = l.packets.stream().filter(p -> p.srcPort() == c.serverPort && p.fin()).count();
                    v.check(serverFin == 1, "capture: the server's FIN went out", serverFin + " server FIN");
                }
            } finally {
                worker.kill();
                worker.waitFor();
            }
        }

        Path prefork = Natives.binary("prefork-server");
        for (boolean fix : new boolean[] {false, true}) {
            t.say("--- " + (fix ? "4" : "3") + ". the C prefork server" + (fix ? " with --fix (child: shutdown before close)" : " (child: plain close)"));
            String state = preforkServerSide(t, prefork, fix);
            if (fix) {
                v.check(!state.equals("CLOSE-WAIT"), "ss: with --fix the C server side does not stay in CLOSE-WAIT", state);
            } else {
                v.check(state.equals("CLOSE-WAIT"), "ss: the C prefork server side stays in CLOSE-WAIT", state);
            }
        }
        t.say(v.passed() ? "the leak appeared with a plain close while another process held the socket, and SHUTDOWN ended it"
                : "the scenario did not behave as described");
        return v;
    }

    /** Runs the C prefork server, connects, closes the client, and returns the ss state of the server side after 1 s. */
    private static String preforkServerSide(Timeline t, Path prefork, boolean fix) throws Exception {
        ProcessBuilder pb = fix ? new ProcessBuilder(prefork.toString(), "--port", "0", "--fix")
                : new ProcessBuilder(prefork.toString(), "--port", "0");
        Process p = pb.redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = r.readLine();
            if (first == null || !first.startsWith("LISTENING")) {
                throw new IllegalStateException("prefork-server did not start: " + first);
            }
            String[] f = first.trim().split("\\s+");
            int port = Integer.parseInt(f[2]);
            t.watch(port);
            t.say("prefork-server" + (fix ? " --fix" : "") + " listening on port " + port + " (pid " + p.pid() + ")");
            TcpSocket client = TcpSocket.connect(new InetSocketAddress(InetAddress.getByName(f[1]), port), Duration.ofSeconds(5));
            int clientPort = client.localAddress().getPort();
            client.write(ByteBuffer.wrap("ping\n".getBytes(StandardCharsets.US_ASCII)));
            client.read(ByteBuffer.allocate(64), Duration.ofSeconds(5));
            CloseOutcome o = client.close(CloseMode.RELEASE);
            t.say("client: close(RELEASE) -> " + o.sent());
            Thread.sleep(1000);
            t.sample();
            String s = Ss.state(port, clientPort);
            t.say("ss after 1 s: C server side " + s + ", client side " + Ss.state(clientPort, port));
            return s;
        } finally {
            p.destroy();
            p.waitFor();
        }
    }
}
