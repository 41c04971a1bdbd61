package dev.strata.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.core.testing.SelfSignedCertificate;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gRPC client with transport security ({@code withTls(true)}, or a {@code grpcs://} address)
 * against a grpc-netty server with a self-signed certificate the JVM's trust store is given: the
 * whole client contract holds over TLS; a certificate the trust store does not know is refused.
 */
class GrpcStrataClientTlsIT extends StrataClientContract {
  private Path dir;
  private SelfSignedCertificate certificate;
  private TrustStore trust;
  private Server server;

  @Override
  protected StrataClient start() throws Exception {
    dir = Files.createTempDirectory("strata-tls");
    certificate = SelfSignedCertificate.create(dir);
    trust = TrustStore.trusting(certificate.keyStore());
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .sslContext(
                GrpcSslContexts.configure(SslContextBuilder.forServer(certificate.keyManagers()))
                    .build())
            .addService(new FakeGrpcService(models))
            .build()
            .start();
    return StrataClient.grpc(ClientConfig.parse("grpcs://127.0.0.1:" + server.getPort()));
  }

  @Override
  protected void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    trust.close();
    certificate.delete();
    Files.deleteIfExists(dir);
  }

  @Test
  void anUnknownCertificateIsRefused() {
    try (TrustStore jdk = TrustStore.jdkDefault();
        StrataClient untrusting =
            StrataClient.grpc(
                ClientConfig.of("127.0.0.1", server.getPort())
                    .withTls(true)
                    .withTimeout(Duration.ofSeconds(10)))) {
      assertThatThrownBy(untrusting::serverMetadata)
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }
  }
}
