package dev.teardown.agent.rt;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class OpenSocketsTest {
    @Test
    void recordsByNumberAcrossPagesAndBeyondThem() {
        OpenSockets open = new OpenSockets();
        int[] fds = {0, 3, 1023, 1024, 70_000, 4_194_303, 4_194_304, Integer.MAX_VALUE};
        for (int fd : fds) {
            open.put(fd, 0, 1_000L + fd, SocketRecord.Kind.ACCEPTED, null);
        }
        for (int fd : fds) {
            SocketRecord r = open.get(fd);
            assertEquals(fd, r.fd());
            assertEquals(1_000L + fd, r.openedMillis());
            assertEquals(SocketRecord.Kind.ACCEPTED, r.kind());
            assertSame(Site.NOT_TAKEN, r.site());
        }
        assertNull(open.get(4), "a number never recorded");
        assertNull(open.get(-1), "a negative number");
        Map<Integer, SocketRecord> all = open.snapshot();
        assertEquals(fds.length, all.size());
        for (int fd : fds) {
            assertEquals(1_000L + fd, all.get(fd).openedMillis());
        }
        for (int fd : fds) {
            open.remove(fd, 0);
        }
        assertEquals(0, open.snapshot().size());
    }

    @Test
    void aTaggedRecordIsDroppedOnlyByItsOwner() {
        OpenSockets open = new OpenSockets();
        open.put(7, 11, 1L, SocketRecord.Kind.NETTY, null);
        open.put(7, 22, 2L, SocketRecord.Kind.NETTY, null); // the number closed behind 11's back, and reused
        open.remove(7, 11); // 11's late close
        assertEquals(2L, open.get(7).openedMillis());
        open.remove(7, 22);
        assertNull(open.get(7));
    }

    @Test
    void aStackBecomesASiteAndAReusedNumberForgetsIt() {
        OpenSockets open = new OpenSockets();
        long now = System.currentTimeMillis();
        open.put(9, 0, now - 5_000, SocketRecord.Kind.CREATED, new Throwable());
        Site site = open.get(9).site();
        assertFalse(site.frames().isEmpty(), "a site from the stack taken"); // (the agent's own frames are left out)
        open.resolveOpenedBefore(now - 1_000);
        assertSame(site, open.get(9).site(), "interned: the resolved slot gives the same site");
        open.remove(9, 0);
        open.put(9, 0, now, SocketRecord.Kind.CREATED, null);
        assertSame(Site.NOT_TAKEN, open.get(9).site(), "the earlier socket's stack is not the new one's");
    }

    @Test
    void aNettyChannelIsLinkedToItsOwnRecordOnly() {
        OpenSockets open = new OpenSockets();
        Object channel = new Object();
        open.put(12, 33, 1L, SocketRecord.Kind.NETTY, null);
        open.link(12, 44, channel, 3); // another owner's channel
        assertNull(open.get(12).channel());
        open.link(12, 33, channel, 3);
        assertSame(channel, open.get(12).channel());
        assertEquals(3, open.get(12).parentFd());
        open.put(12, 55, 2L, SocketRecord.Kind.NETTY, null);
        assertNull(open.get(12).channel(), "a reused number starts unlinked");
        assertEquals(-1, open.get(12).parentFd());
    }
}
