package dev.strata.edge;

import static dev.strata.edge.testing.TestModels.request;
import static dev.strata.edge.testing.TestModels.servedBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Sample;
import dev.strata.api.Selector;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Json;
import dev.strata.edge.testing.TestModels;
import dev.strata.protocol.client.StrataClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Escalated inputs reach the cloud's sample store with both answers, for deployments that opted in,
 * within their per-sample cap.
 */
class HardExamplesIT {
  static final InferencePolicy ALWAYS_ESCALATE =
      new InferencePolicy.Cascade(ConfidenceMeasure.MAX_PROBABILITY, 1.0, Optional.of("cloud-mlp"));

  @TempDir Path dir;

  @Test
  void escalatedInputsAreUploadedWhereOptedInAndWithinTheCap() throws Exception {
    try (LoopbackCloud cloud =
        LoopbackCloud.start(dir.resolve("cloud"), Map.of("cloud-mlp", TestModels.mlp(9)))) {
      deploy(cloud, "on", "mlp-a", HardExamplePolicy.upTo(1 << 20, 64 * 1024));
      deploy(cloud, "tiny", "mlp-b", HardExamplePolicy.upTo(1 << 20, 50));
      deploy(cloud, "off", "mlp-c", HardExamplePolicy.DISABLED);
      try (EdgeAgent agent =
              EdgeAgent.start(
                  TestModels.agent(cloud.url(), dir.resolve("edge"))
                      .enrollToken(cloud.enrollmentToken(Map.of()))
                      .build());
          StrataClient client = EdgeAgentIT.local(agent)) {
        for (String model : List.of("mlp-a", "mlp-b", "mlp-c")) {
          await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> client.modelReady(model, Optional.empty()));
          for (int i = 0; i < 5; i++) {
            assertThat(servedBy(client.infer(request(model, i)))).isEqualTo("cloud");
          }
        }

        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> cloud.api.samples("on", 100).size() == 5);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> agent.status().path("hardExamples").path("tooLarge").asLong() == 5);
        Sample s = cloud.api.samples("on", 100).getFirst();
        assertThat(s.model()).isEqualTo("mlp-a");
        assertThat(s.contentType()).isEqualTo("application/json");
        assertThat(s.edgeAnswer().path("model_name").asText()).isEqualTo("mlp-a");
        assertThat(s.cloudAnswer().path("model_name").asText()).isEqualTo("cloud-mlp");
        assertThat(s.edgeAnswer().path("outputs").get(0).path("data")).hasSize(TestModels.CLASSES);
        JsonNode json = Json.mapper().readTree(cloud.api.sampleInput(s.id()));
        assertThat(json.path("inputs").get(0).path("data")).hasSize(TestModels.IN);
        assertThat(cloud.api.samples("tiny", 100)).isEmpty();
        assertThat(cloud.api.samples("off", 100)).isEmpty();
        await() // the store has them before the agent has the answers
            .atMost(Duration.ofSeconds(10))
            .until(() -> agent.status().path("hardExamples").path("uploaded").asLong() == 5);
      }
    }
  }

  private static void deploy(LoopbackCloud cloud, String name, String model, HardExamplePolicy h) {
    var v = cloud.publish(model, "fp32", TestModels.mlp(model.hashCode()));
    cloud.deploy(
        name,
        DeploymentSpec.edge(model, v.version(), "fp32", Selector.ALL)
            .withPolicy(ALWAYS_ESCALATE)
            .withHardExamples(h));
  }
}
