package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.edge.testing.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code --inference-auth} the edge's inference API takes only the bearer tokens of its {@code
 * inference-tokens} file (created with one token on the first start, 0600), also for the repository
 * extension; health probes stay open, and edits to the file apply without a restart.
 */
class InferenceAuthIT {
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,8],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7,8]}]}";

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void onlyListedTokensMayInfer() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant v = cloud.publish("mlp", "fp32", TestModels.mlp(1));
      cloud.deploy("det", DeploymentSpec.edge("mlp", v.version(), "fp32", Selector.ALL));
      EdgeConfig config =
          TestModels.agent(cloud.url(), dir.resolve("edge"))
              .enrollToken(cloud.enrollmentToken(Map.of()))
              .inferenceAuth(true)
              .build();
      try (EdgeAgent agent = EdgeAgent.start(config)) {
        URI base = URI.create("http://127.0.0.1:" + agent.httpPort());
        Path file = dir.resolve("edge").resolve("inference-tokens");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
            .isEqualTo("rw-------");
        String token =
            Files.readAllLines(file).stream().filter(l -> l.startsWith("sti_")).findFirst().get();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> call(base, "/v2/models/mlp/ready", Optional.of(token), null) == 200);

        assertThat(call(base, "/v2/models/mlp/infer", Optional.of(token), BODY)).isEqualTo(200);
        assertThat(call(base, "/v2/models/mlp/infer", Optional.empty(), BODY)).isEqualTo(401);
        assertThat(call(base, "/v2/models/mlp/infer", Optional.of("sti_wrong"), BODY))
            .isEqualTo(401);
        assertThat(call(base, "/v2/repository/models/mlp/unload", Optional.empty(), "{}"))
            .isEqualTo(401);
        assertThat(call(base, "/v2/health/live", Optional.empty(), null)).isEqualTo(200);
        assertThat(call(base, "/v2/health/ready", Optional.empty(), null)).isEqualTo(200);

        Files.writeString(file, "# rotated\nsti_second\n");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> call(base, "/v2/models/mlp/infer", Optional.of("sti_second"), BODY) == 200);
        assertThat(call(base, "/v2/models/mlp/infer", Optional.of(token), BODY)).isEqualTo(401);
      }
    }
  }

  @Test
  void withoutTheFlagNoTokenIsNeeded() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      EdgeConfig config =
          TestModels.agent(cloud.url(), dir.resolve("edge"))
              .enrollToken(cloud.enrollmentToken(Map.of()))
              .build();
      try (EdgeAgent agent = EdgeAgent.start(config)) {
        URI base = URI.create("http://127.0.0.1:" + agent.httpPort());
        assertThat(call(base, "/v2", Optional.empty(), null)).isEqualTo(200);
        assertThat(Files.exists(dir.resolve("edge").resolve("inference-tokens"))).isFalse();
      }
    }
  }

  private int call(URI base, String path, Optional<String> token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json");
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    b.method(
        body == null ? "GET" : "POST",
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
