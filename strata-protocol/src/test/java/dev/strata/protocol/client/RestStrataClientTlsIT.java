package dev.strata.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.core.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The REST client over HTTPS ({@code withTls(true)}, or an {@code https://} address), against the
 * JDK's HTTPS server with a self-signed certificate the JVM's trust store is given: the whole
 * client contract holds over TLS; a certificate the trust store does not know is refused, and so is
 * a plain-text client.
 */
class RestStrataClientTlsIT extends StrataClientContract {
  private Path dir;
  private SelfSignedCertificate certificate;
  private TrustStore trust;
  private FakeRestServer server;

  @Override
  protected StrataClient start() throws Exception {
    dir = Files.createTempDirectory("strata-tls");
    certificate = SelfSignedCertificate.create(dir);
    trust = TrustStore.trusting(certificate.keyStore());
    server = new FakeRestServer(models, Optional.of(certificate.serverContext()));
    return StrataClient.rest(ClientConfig.parse("https://127.0.0.1:" + server.port()));
  }

  @Override
  protected void stop() throws Exception {
    server.close();
    trust.close();
    certificate.delete();
    Files.deleteIfExists(dir);
  }

  private ClientConfig config() {
    return ClientConfig.of("127.0.0.1", server.port()).withTimeout(Duration.ofSeconds(10));
  }

  @Test
  void anUnknownCertificateIsRefused() {
    try (TrustStore jdk = TrustStore.jdkDefault();
        StrataClient untrusting = StrataClient.rest(config().withTls(true))) {
      assertThatThrownBy(untrusting::serverMetadata)
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }
  }

  @Test
  void aPlainTextClientGetsNoAnswer() {
    try (StrataClient plain = StrataClient.rest(config())) {
      assertThatThrownBy(plain::serverMetadata).isInstanceOf(StrataException.class);
    }
  }
}
