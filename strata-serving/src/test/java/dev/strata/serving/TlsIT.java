package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.StrataException;
import dev.strata.core.testing.SelfSignedCertificate;
import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.ModelMetadataRequest;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both listeners speak TLS with a PEM certificate and key; plain text is refused. */
class TlsIT {
  @TempDir Path dir;

  @Test
  void httpsAndGrpcOverTlsServeAndPlainTextDoesNot() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create(dir);
    Path repo = Files.createDirectories(dir.resolve("repo"));
    TestServer.writeModel(repo, "mlp", 1, ExampleModels.mlp(4, 8, 3, 1));
    ModelManager runtime = ModelManager.create(RuntimeConfig.of(repo));
    try (StrataServer server =
        StrataServer.start(
            ServingConfig.ephemeral()
                .withIoThreads(1)
                .withTls(new TlsConfig(cert.certificate(), cert.privateKey())),
            runtime,
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
      runtime.startup().join();
      HttpClient https = HttpClient.newBuilder().sslContext(cert.clientContext()).build();
      HttpResponse<String> r =
          https.send(
              HttpRequest.newBuilder(
                      URI.create("https://127.0.0.1:" + server.httpPort() + "/v2/models/mlp"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"name\":\"mlp\"");

      HttpClient plain = HttpClient.newHttpClient();
      assertThatThrownBy(
              () ->
                  plain.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + server.httpPort() + "/v2"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);

      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort().orElseThrow())
              .sslContext(
                  GrpcSslContexts.forClient().trustManager(cert.certificate().toFile()).build())
              .build();
      try {
        var metadata =
            GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .modelMetadata(ModelMetadataRequest.newBuilder().setName("mlp").build());
        assertThat(metadata.getName()).isEqualTo("mlp");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void unreadableKeyFilesFailAtStartWithTheirNames() throws Exception {
    ModelManager runtime = ModelManager.create(RuntimeConfig.of(dir));
    try {
      TlsConfig missing = new TlsConfig(dir.resolve("no.crt"), dir.resolve("no.key"));
      assertThatThrownBy(
              () ->
                  StrataServer.start(
                      ServingConfig.ephemeral().withTls(missing),
                      runtime,
                      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
          .isInstanceOf(StrataException.class)
          .hasMessageContaining("no.crt is not a readable file");
    } finally {
      runtime.close();
    }
  }
}
