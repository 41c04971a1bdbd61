package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.edge.testing.TestModels;
import dev.strata.serving.ServingConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge reconciles from the whole desired state at every pass: a model that leaves the runtime
 * is put back (and never reported FAILED, so a canary is not rolled back for it), and of two
 * deployments of one model the second is applied once the first is deleted.
 */
class ReconcileIT {
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,8],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7,8]}]}";

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aModelThatLeavesTheRuntimeIsPutBack() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant v = cloud.publish("mlp", "fp32", TestModels.mlp(1));
      cloud.deploy("det", DeploymentSpec.edge("mlp", v.version(), "fp32", Selector.ALL));
      try (EdgeAgent agent = EdgeAgent.start(config(cloud))) {
        URI base = URI.create("http://127.0.0.1:" + agent.httpPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> infer(base).statusCode() == 200);
        String before = infer(base).body();
        int heartbeats = cloud.heartbeats.size();
        // gone from the runtime behind the agent's back (as a crash of its session would leave it)
        agent.service().unload("mlp");
        assertThat(agent.service().modelReady("mlp", Optional.empty())).isFalse();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> agent.service().modelReady("mlp", Optional.empty()));
        assertThat(infer(base).body()).isEqualTo(before);
        assertThat(
                cloud.heartbeats.subList(heartbeats, cloud.heartbeats.size()).stream()
                    .flatMap(h -> h.models().stream())
                    .map(LoadedModel::state))
            .doesNotContain(LoadState.FAILED);
      }
    }
  }

  @Test
  void ofTwoDeploymentsOfOneModelTheSurvivorIsAppliedWhenTheFirstIsDeleted() throws Exception {
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant v1 = cloud.publish("mlp", "fp32", TestModels.mlp(1));
      Variant v2 = cloud.publish("mlp", "fp32", TestModels.mlp(2));
      cloud.deploy("first", DeploymentSpec.edge("mlp", v1.version(), "fp32", Selector.ALL));
      try (EdgeAgent agent = EdgeAgent.start(config(cloud))) {
        URI base = URI.create("http://127.0.0.1:" + agent.httpPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> infer(base).statusCode() == 200);
        String first = infer(base).body();
        cloud.deploy("second", DeploymentSpec.edge("mlp", v2.version(), "fp32", Selector.ALL));
        LoadedModel conflict =
            await()
                .atMost(Duration.ofSeconds(30))
                .until(
                    () ->
                        cloud.heartbeats.getLast().models().stream()
                            .filter(m -> m.deployment().equals(Optional.of("second")))
                            .findFirst(),
                    Optional::isPresent)
                .orElseThrow();
        assertThat(conflict.state()).isEqualTo(LoadState.FAILED);
        assertThat(conflict.error()).hasValueSatisfying(e -> assertThat(e).contains("first"));
        assertThat(infer(base).body()).isEqualTo(first);

        cloud.api.deleteDeployment("first");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    cloud.heartbeats.getLast().models().stream()
                        .anyMatch(
                            m ->
                                m.deployment().equals(Optional.of("second"))
                                    && m.state() == LoadState.READY
                                    && m.version() == v2.version()));
        HttpResponse<String> r = infer(base);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isNotEqualTo(first).contains("\"model_version\":\"" + v2.version());
      }
    }
  }

  private EdgeConfig config(LoopbackCloud cloud) throws Exception {
    return TestModels.agent(cloud.url(), dir.resolve("edge"))
        .serving(
            ServingConfig.ephemeral()
                .withPorts(0, -1)
                .withDrainTimeout(Duration.ofSeconds(2))
                .withIoThreads(2))
        .enrollToken(cloud.enrollmentToken(Map.of()))
        .build();
  }

  private HttpResponse<String> infer(URI base) throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v2/models/mlp/infer"))
            .POST(HttpRequest.BodyPublishers.ofString(BODY))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
