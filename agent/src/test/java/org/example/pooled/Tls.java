package org.example.pooled;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;

/**
 * A self-signed certificate for 127.0.0.1 (made with {@code openssl}) for the test server, and this JVM's default
 * trust store set to it, so that every client's default TLS set-up trusts that server and no other.
 */
final class Tls {
    private Tls() {}

    /** Makes the certificate and its key, trusts the certificate; returns the server's arguments: cert, key. */
    static List<String> serverCertificate() throws Exception {
        Path dir = Files.createTempDirectory("pooled-tls-");
        dir.toFile().deleteOnExit();
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(),
                "-out", cert.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("openssl: " + out);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        Path store = dir.resolve("trust.p12");
        try (OutputStream o = Files.newOutputStream(store)) {
            trust.store(o, "changeit".toCharArray());
        }
        System.setProperty("javax.net.ssl.trustStore", store.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        for (Path f : List.of(cert, key, store)) {
            f.toFile().deleteOnExit();
        }
        return List.of(cert.toString(), key.toString());
    }
}
