package dev.teardown.snippets;

import dev.teardown.TcpState;
import dev.teardown.inspect.TcpEntry;
import dev.teardown.inspect.TcpTable;
import java.util.EnumSet;
import java.util.Map;

/** The example in TcpTable's Javadoc; compiled and run by SnippetsTest. */
public final class CensusSnippets {
    private CensusSnippets() {}

    /** The namespace's sockets by state, and the CLOSE_WAIT ones with unread bytes, as ss would list them. */
    public static int closeWaitCensus() {
        // @start region="census"
        Map<TcpState, Integer> byState = TcpTable.counts(); // every TCP socket of this network namespace
        int closeWait = byState.getOrDefault(TcpState.CLOSE_WAIT, 0);
        for (TcpEntry e : TcpTable.snapshot(EnumSet.of(TcpState.CLOSE_WAIT))) {
            System.out.println(TcpEntry.format(e.local()) + " <- " + TcpEntry.format(e.remote())
                    + ": " + e.receiveQueue() + " bytes never read, inode " + e.inode());
        }
        // @end
        return closeWait;
    }
}
