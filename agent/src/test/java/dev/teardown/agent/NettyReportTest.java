package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import dev.teardown.agent.testing.Sources;
import dev.teardown.agent.testing.Ss;
import org.example.leaky.NettyLeakServer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A Netty server whose handler ignores half-closure: the report names the handler and the bind line. */
class NettyReportTest {
    private static final String HANDLER = "org.example.leaky.NettyLeakServer$IgnoresHalfClose";

    @Test
    void agentAtStartNamesTheHandlerAndTheListener() throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        String bind = "org.example.leaky.NettyLeakServer.main(NettyLeakServer.java:"
                + Sources.line(NettyLeakServer.class, "// LISTEN") + ")";
        try (AppJvm app = AppJvm.start(NettyLeakServer.class, "-javaagent:" + Reader.jar())) {
            app.hangUp(3);
            assertEquals(3, Ss.awaitCloseWait(app.port(), 3), "ss: CLOSE_WAIT on the app's port");

            Map<String, Object> group = onlyGroup(app, 3);
            assertEquals(List.of(HANDLER), group.get("handlers"));
            assertEquals(bind, ((List<?>) group.get("listenerSite")).get(0));
            assertTrue(((List<?>) group.get("site")).get(0).toString().startsWith("io.netty.channel.epoll."));

            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains("channel handlers: " + HANDLER), text.out());
            assertTrue(text.out().contains("accepted on the listener opened at\n    at " + bind), text.out());
        }
    }

    @Test
    void nioTransportToo() throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        String bind = "org.example.leaky.NettyLeakServer.main(NettyLeakServer.java:"
                + Sources.line(NettyLeakServer.class, "// LISTEN") + ")";
        try (AppJvm app = AppJvm.start(NettyLeakServer.class, "-Dtransport=nio", "-javaagent:" + Reader.jar())) {
            app.hangUp(2);
            assertEquals(2, Ss.awaitCloseWait(app.port(), 2), "ss: CLOSE_WAIT on the app's port");
            Map<String, Object> group = onlyGroup(app, 2);
            assertEquals(List.of(HANDLER), group.get("handlers"));
            assertEquals(bind, ((List<?>) group.get("listenerSite")).get(0));
        }
    }

    @Test
    void attachedAgentNamesTheHandler() throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        try (AppJvm app = AppJvm.start(NettyLeakServer.class)) {
            Reader.Result attached = Reader.report("--pid", String.valueOf(app.pid()), "--attach");
            assertEquals(0, attached.status(), attached.err());
            app.hangUp(2);
            assertEquals(2, Ss.awaitCloseWait(app.port(), 2), "ss: CLOSE_WAIT on the app's port");
            assertEquals(List.of(HANDLER), onlyGroup(app, 2).get("handlers"));
        }
    }

    private static Map<String, Object> onlyGroup(AppJvm app, long count) throws Exception {
        Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
        assertEquals(0, r.status(), r.err());
        List<Map<String, Object>> groups = Reports.groups(Reports.parse(r.out()));
        assertEquals(1, groups.size(), r.out());
        assertEquals(count, Reports.count(groups.get(0)), r.out());
        return groups.get(0);
    }
}
