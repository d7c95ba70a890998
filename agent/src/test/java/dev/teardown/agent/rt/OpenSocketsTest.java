package dev.teardown.agent.rt;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class OpenSocketsTest {
    private static SocketRecord record(int fd, Object owner) {
        return new SocketRecord(fd, owner, 1L, null, SocketRecord.Kind.CREATED);
    }

    @Test
    void recordsByNumberAcrossPagesAndBeyondThem() {
        OpenSockets open = new OpenSockets();
        int[] fds = {0, 3, 1023, 1024, 70_000, 4_194_303, 4_194_304, Integer.MAX_VALUE};
        for (int fd : fds) {
            open.put(record(fd, "owner of " + fd));
        }
        for (int fd : fds) {
            assertEquals(fd, open.get(fd).fd());
        }
        assertNull(open.get(4), "a number never recorded");
        assertNull(open.get(-1), "a negative number");
        Map<Integer, SocketRecord> all = open.snapshot();
        assertEquals(fds.length, all.size());
        for (int fd : fds) {
            assertSame(open.get(fd), all.get(fd));
        }
    }

    @Test
    void onlyTheOwnerDropsARecord() {
        OpenSockets open = new OpenSockets();
        Object first = new Object();
        Object second = new Object();
        for (int fd : new int[] {7, 5_000_000}) {
            open.put(record(fd, first));
            SocketRecord newer = record(fd, second); // the number closed behind first's back, and reused
            open.put(newer);
            open.remove(fd, first); // first's late close
            assertSame(newer, open.get(fd));
            open.remove(fd, second);
            assertNull(open.get(fd));
        }
    }
}
