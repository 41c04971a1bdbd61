package dev.strata.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The REST client over HTTP/1.1 on loopback, against the JDK's HttpServer. */
class RestStrataClientIT extends StrataClientContract {
  private FakeRestServer server;

  @Override
  protected StrataClient start() throws Exception {
    server = new FakeRestServer(models);
    return StrataClient.rest(ClientConfig.of("127.0.0.1", server.port()));
  }

  @Override
  protected void stop() {
    server.close();
  }

  private static InferenceRequest echo(String id, int value) {
    return new InferenceRequest(
        "echo",
        Optional.empty(),
        id,
        List.of(Tensor.ofInts("x", Shape.of(1), value)),
        List.of(),
        Map.of(),
        Optional.empty());
  }

  @Test
  void keepsToItsConnectionLimit() {
    try (StrataClient two =
        StrataClient.rest(ClientConfig.of("127.0.0.1", server.port()).withMaxConnections(2))) {
      List<CompletableFuture<?>> futures = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        futures.add(two.inferAsync(echo("pool-" + i, i)));
      }
      futures.forEach(CompletableFuture::join);
    }
    Set<String> remotes =
        server.inferCalls.stream()
            .filter(c -> c.contains(" pool-"))
            .map(c -> c.substring(0, c.indexOf(' ')))
            .collect(Collectors.toSet());
    assertThat(remotes).hasSizeBetween(1, 2);
  }

  @Test
  void sendsOneEncodedBodyManyTimes() {
    RestClient rest = (RestClient) client;
    EncodedBody body = new RestCodec().encodeInferRequest(echo("pre", 42), true, true);
    List<CompletableFuture<InferenceResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(rest.inferAsync("echo", Optional.empty(), body, Duration.ofSeconds(10)));
    }
    for (CompletableFuture<InferenceResponse> f : futures) {
      assertThat(f.join().outputs().get(0).ints()).containsExactly(42);
    }
    assertThat(body.contentLength()).isEqualTo(body.toByteArray().length);
  }

  @Test
  void sendsJsonOrBinaryAsAsked() {
    client.infer(echo("as-json", 1), InferOptions.JSON);
    client.infer(echo("as-binary", 2), InferOptions.BINARY);
    assertThat(server.inferCalls)
        .anyMatch(c -> c.endsWith("application/json as-json"))
        .anyMatch(c -> c.endsWith("application/octet-stream as-binary"));
  }

  @Test
  void sendsTheConfiguredHeadersWithEveryCall() {
    try (StrataClient withToken =
        StrataClient.rest(
            ClientConfig.of("127.0.0.1", server.port())
                .withHeader("Authorization", "Bearer stn_n1.secret"))) {
      withToken.infer(echo("with-token", 3));
    }
    assertThat(server.authorizations).containsExactly("Bearer stn_n1.secret");
  }

  @Test
  void survivesTheServerClosingTheConnection() {
    assertThat(client.infer(echo("close-after", 5)).outputs().get(0).ints()).containsExactly(5);
    for (int i = 0; i < 5; i++) {
      assertThat(client.infer(echo("after-close-" + i, i)).outputs().get(0).ints())
          .containsExactly(i);
    }
  }

  @Test
  void unreachableServerIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (StrataClient nowhere =
        StrataClient.rest(
            ClientConfig.of("127.0.0.1", port).withConnectTimeout(Duration.ofSeconds(2)))) {
      assertThatThrownBy(nowhere::live)
          .isInstanceOfSatisfying(
              StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
          .hasMessageContaining("cannot connect to 127.0.0.1:" + port);
    }
  }

  @Test
  void responseOverTheLimitIsRefused() {
    try (StrataClient small =
        StrataClient.rest(ClientConfig.of("127.0.0.1", server.port()).withMaxMessageBytes(1024))) {
      float[] big = new float[1000];
      InferenceRequest r =
          InferenceRequest.of("echo", List.of(Tensor.ofFloats("x", Shape.of(1000), big)));
      assertThatThrownBy(() -> small.infer(r))
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
          .hasMessageContaining("over maxMessageBytes 1024");
      assertThat(small.live()).isTrue();
    }
  }

  @Test
  void closedClientRefusesCalls() {
    StrataClient c = StrataClient.rest(ClientConfig.of("127.0.0.1", server.port()));
    assertThat(c.live()).isTrue();
    c.close();
    assertThatThrownBy(c::live)
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .hasMessageContaining("client is closed");
  }

  @Test
  void percentEncodesNamesInPaths() {
    StringBuilder sb = new StringBuilder();
    NettyRestClient.Paths.segment(sb, "a b/é");
    assertThat(sb).hasToString("a%20b%2F%C3%A9");
    assertThat(NettyRestClient.Paths.model("m", Optional.of("2")))
        .isEqualTo("/v2/models/m/versions/2");
  }
}
