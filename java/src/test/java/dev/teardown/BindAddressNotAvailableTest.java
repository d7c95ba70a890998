package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * bind(2) to an address this host does not have fails with EADDRNOTAVAIL, and the advice is bind's (the address
 * is not this namespace's), not connect()'s port exhaustion. 192.0.2.1 is TEST-NET-1 (RFC 5737), never assigned.
 */
class BindAddressNotAvailableTest {
    @Test
    void bindToAForeignAddressGetsBindsAdvice() throws Exception {
        AddressNotAvailableException e = assertThrows(AddressNotAvailableException.class,
                () -> TcpListener.bind(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0)));
        assertEquals("EADDRNOTAVAIL", e.errnoName());
        assertTrue(e.getMessage().contains("not one of this host's"), e.getMessage());
        assertTrue(e.getMessage().contains("ip addr") && e.getMessage().contains("ip_nonlocal_bind"), e.getMessage());
        assertFalse(e.getMessage().contains("ip_local_port_range"), e.getMessage());
    }
}
