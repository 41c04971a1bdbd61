package dev.strata.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code 127.0.0.1} and {@code localhost}, made by the JDK's keytool
 * for the TLS tests of every module (shared through strata-core's test jar): the PKCS#12 store
 * keytool wrote, the same key as the PEM files a server's {@code --tls-cert}/{@code --tls-key}
 * take, and the SSL contexts and JVM options that trust or present it.
 *
 * @param keyStore the PKCS#12 file (password {@link #PASSWORD}, alias {@link #ALIAS})
 * @param certificate the certificate, PEM
 * @param privateKey the private key, PKCS#8 PEM
 * @param store {@code keyStore}, loaded
 */
public record SelfSignedCertificate(
    Path keyStore, Path certificate, Path privateKey, KeyStore store) {
  public static final String PASSWORD = "changeit";
  public static final String ALIAS = "strata";

  /** Makes the certificate and its files in {@code dir} (created if missing). */
  public static SelfSignedCertificate create(Path dir)
      throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    Path keyStore = dir.resolve("server.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                ALIAS,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-keystore",
                keyStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD)
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    Path certificate = dir.resolve("server.crt");
    Path privateKey = dir.resolve("server.key");
    Files.writeString(certificate, pem("CERTIFICATE", store.getCertificate(ALIAS).getEncoded()));
    PrivateKey key = (PrivateKey) store.getKey(ALIAS, PASSWORD.toCharArray());
    Files.writeString(privateKey, pem("PRIVATE KEY", key.getEncoded()));
    return new SelfSignedCertificate(keyStore, certificate, privateKey, store);
  }

  /** Key managers presenting this certificate (for a server). */
  public KeyManagerFactory keyManagers() throws GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, PASSWORD.toCharArray());
    return kmf;
  }

  /** A server-side context presenting this certificate. */
  public SSLContext serverContext() throws GeneralSecurityException {
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(keyManagers().getKeyManagers(), null, null);
    return c;
  }

  /** A client-side context that trusts this certificate and nothing else. */
  public SSLContext clientContext() throws GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, tmf.getTrustManagers(), null);
    return c;
  }

  /** The JVM options that make another process trust this certificate (its default trust store). */
  public List<String> trustOptions() {
    return List.of(
        "-Djavax.net.ssl.trustStore=" + keyStore.toAbsolutePath(),
        "-Djavax.net.ssl.trustStoreType=PKCS12",
        "-Djavax.net.ssl.trustStorePassword=" + PASSWORD);
  }

  /** Deletes the files {@link #create} wrote. */
  public void delete() throws IOException {
    Files.deleteIfExists(keyStore);
    Files.deleteIfExists(certificate);
    Files.deleteIfExists(privateKey);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
