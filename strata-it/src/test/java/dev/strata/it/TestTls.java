package dev.strata.it;

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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code 127.0.0.1} made with the JDK's keytool: PEM files for {@code
 * strata cloud --tls-cert --tls-key}, a PKCS#12 trust store for the processes that connect to it
 * (the standard {@code javax.net.ssl.trustStore} properties), and an SSL context for this JVM.
 */
record TestTls(Path cert, Path key, Path trustStore, SSLContext context) {
  private static final String PASSWORD = "changeit";

  static TestTls create(Path dir) throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    Path store = dir.resolve("cloud.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "cloud",
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
                store.toString(),
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
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    Path cert = dir.resolve("cloud.crt");
    Path key = dir.resolve("cloud.key");
    Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("cloud").getEncoded()));
    Files.writeString(
        key,
        pem("PRIVATE KEY", ((PrivateKey) ks.getKey("cloud", PASSWORD.toCharArray())).getEncoded()));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return new TestTls(cert, key, store, context);
  }

  /** The JVM options that make a child process trust this certificate. */
  List<String> trustOptions() {
    return List.of(
        "-Djavax.net.ssl.trustStore=" + trustStore.toAbsolutePath(),
        "-Djavax.net.ssl.trustStoreType=PKCS12",
        "-Djavax.net.ssl.trustStorePassword=" + PASSWORD);
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
