package dev.strata.protocol.client;

import dev.strata.core.testing.SelfSignedCertificate;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Points the JVM's default trust store ({@code javax.net.ssl.trustStore}, what TLS clients trust
 * unless told otherwise) at a test certificate, and puts the previous settings back.
 */
final class TrustStore implements AutoCloseable {
  private static final String[] KEYS = {
    "javax.net.ssl.trustStore", "javax.net.ssl.trustStoreType", "javax.net.ssl.trustStorePassword"
  };
  private final Map<String, String> previous = new LinkedHashMap<>();

  private TrustStore(String... values) {
    for (int i = 0; i < KEYS.length; i++) {
      previous.put(KEYS[i], System.getProperty(KEYS[i]));
      if (values[i] == null) {
        System.clearProperty(KEYS[i]);
      } else {
        System.setProperty(KEYS[i], values[i]);
      }
    }
  }

  /** Trust the certificate in {@code store} (PKCS#12), and nothing else. */
  static TrustStore trusting(Path store) {
    return new TrustStore(
        store.toAbsolutePath().toString(), "PKCS12", SelfSignedCertificate.PASSWORD);
  }

  /** The JDK's own trust store (which does not know the test certificate). */
  static TrustStore jdkDefault() {
    return new TrustStore(null, null, null);
  }

  @Override
  public void close() {
    previous.forEach(
        (k, v) -> {
          if (v == null) {
            System.clearProperty(k);
          } else {
            System.setProperty(k, v);
          }
        });
  }
}
