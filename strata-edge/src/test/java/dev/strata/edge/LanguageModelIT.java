package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.Json;
import dev.strata.control.ModelFormats;
import dev.strata.edge.testing.TestModels;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.testing.TinyModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A language model goes the way of every model: registered as a GGUF variant, signed, deployed to
 * the cloud and to an edge, verified and installed by the reconcile core, and then answered on the
 * OpenAI API of both; a redeployed version swaps in.
 */
class LanguageModelIT {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aGgufDeploymentIsChattedWithOnTheCloudAndTheEdge() throws Exception {
    byte[] gguf = Files.readAllBytes(TinyModels.write(dir.resolve("lm.gguf"), 5, GgmlType.Q8_0));
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant v = cloud.publish("lm", "q8", gguf, ModelFormats.GGUF);
      cloud.deploy("lm-cloud", DeploymentSpec.cloud("lm", v.version(), "q8"));
      cloud.deploy("lm-edge", DeploymentSpec.edge("lm", v.version(), "q8", Selector.ALL));
      try (EdgeAgent agent =
          EdgeAgent.start(
              TestModels.agent(cloud.url(), dir.resolve("edge"))
                  .enrollToken(cloud.enrollmentToken(Map.of()))
                  .build())) {
        URI edge = URI.create("http://127.0.0.1:" + agent.httpPort());
        await().atMost(Duration.ofSeconds(60)).until(() -> chat(edge).statusCode() == 200);
        JsonNode answer = Json.mapper().readTree(chat(edge).body());
        assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
        assertThat(answer.path("usage").path("completion_tokens").asInt()).isPositive();
        assertThat(dir.resolve("edge/models/lm/" + v.version() + "/model.gguf"))
            .hasSameBinaryContentAs(dir.resolve("lm.gguf"));

        URI cloudUri = cloud.api.baseUrl();
        await().atMost(Duration.ofSeconds(60)).until(() -> chat(cloudUri).statusCode() == 200);
        JsonNode models =
            Json.mapper()
                .readTree(
                    http.send(
                            HttpRequest.newBuilder(cloudUri.resolve("/v1/models")).build(),
                            HttpResponse.BodyHandlers.ofString())
                        .body());
        assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("lm");
      }
    }
  }

  private HttpResponse<String> chat(URI base) throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"lm\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        + "\"max_tokens\":4}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
