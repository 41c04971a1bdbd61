package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.EnrollmentToken;
import dev.strata.control.Json;
import dev.strata.control.PublicKeys;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.edge.testing.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enrollment: the cloud's manifest key given or pinned, and one agent per data directory. */
class EnrollmentIT {
  @TempDir Path dir;

  @Test
  void aCloudPresentingAnotherKeyThanTheOneGivenIsNotEnrolledWith() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      String token = cloud.enrollmentToken(Map.of());
      String otherKey =
          PublicKeys.encode(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
      try (EdgeAgent agent =
          EdgeAgent.start(
              TestModels.agent(cloud.url(), dir.resolve("wrong"))
                  .enrollToken(token)
                  .cloudKey(otherKey)
                  .build())) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> agent.status().path("lastError").asText().contains("manifest key"));
        assertThat(agent.nodeId()).isEmpty();
        assertThat(agent.ready()).isTrue(); // it serves (nothing) all the same
      }
      assertThat(cloud.api.enrollmentTokens())
          .singleElement()
          .satisfies(t -> assertThat(t.usedAt()).isEmpty());
      assertThat(Files.exists(dir.resolve("wrong/node.json"))).isFalse();

      try (EdgeAgent agent =
          EdgeAgent.start(
              TestModels.agent(cloud.url(), dir.resolve("right"))
                  .enrollToken(token)
                  .cloudKey(cloud.signingKey())
                  .build())) {
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.nodeId().isPresent());
        assertThat(cloud.api.enrollmentTokens())
            .singleElement()
            .extracting(EnrollmentToken::nodeId)
            .isEqualTo(agent.nodeId());
      }
    }
  }

  @Test
  void oneAgentPerDataDirectory() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of());
        EdgeAgent first =
            EdgeAgent.start(
                TestModels.agent(cloud.url(), dir.resolve("edge"))
                    .enrollToken(cloud.enrollmentToken(Map.of()))
                    .build())) {
      assertThatThrownBy(
              () -> EdgeAgent.start(TestModels.agent(cloud.url(), dir.resolve("edge")).build()))
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
          .hasMessageContaining("in use by another edge agent");
      assertThat(first.ready()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> first.nodeId().isPresent());
      try (HttpClient http = HttpClient.newHttpClient()) {
        HttpResponse<String> status =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + first.httpPort() + "/edge/v1/status"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(status.statusCode()).isEqualTo(200);
        JsonNode json = Json.mapper().readTree(status.body());
        assertThat(json.path("nodeId").asText()).isEqualTo(first.nodeId().orElseThrow());
        assertThat(json.path("health").asText()).isEqualTo("HEALTHY");
        assertThat(json.path("rssBytes").asLong()).isPositive();
      }
    }
  }
}
