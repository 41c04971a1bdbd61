package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Json;
import dev.strata.control.ModelFormats;
import dev.strata.edge.testing.TestModels;
import dev.strata.llm.gguf.ByteBpeVocabulary;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.gguf.LlamaGguf;
import dev.strata.llm.testing.TinyModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Language models under the collaborative policies, through the edge's OpenAI API: a cascade keeps
 * the answers it is sure of (threshold 0) and hands the others to the cloud's model (threshold 0.99
 * over a random model, whose samples never agree), whole and streamed, with the cloud's own answer
 * and the marks that say so; cloud-only forwards; a cloud that cannot answer (a model it does not
 * serve, then its link down) leaves the edge's answer, marked edge-fallback.
 */
class LanguageModelCascadeIT {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theCascadeKeepsSureAnswersAndHandsTheRestToTheCloud() throws Exception {
    byte[] small = Files.readAllBytes(TinyModels.write(dir.resolve("small.gguf"), 5, GgmlType.F32));
    byte[] big = Files.readAllBytes(TinyModels.write(dir.resolve("big.gguf"), 9, GgmlType.F32));
    try (LoopbackCloud cloud = LoopbackCloud.start(dir.resolve("cloud"), Map.of())) {
      Variant bigV = cloud.publish("big", "f32", big, ModelFormats.GGUF);
      cloud.deploy("big-cloud", DeploymentSpec.cloud("big", bigV.version(), "f32"));
      Map<String, InferencePolicy> policies =
          Map.of(
              "sure",
              cascade(0, Optional.of("big")),
              "unsure",
              cascade(0.99, Optional.of("big")),
              "orphan",
              cascade(0.99, Optional.of("missing")),
              "forward",
              new InferencePolicy.CloudOnly(Optional.of("big")),
              "busy",
              new InferencePolicy.OffloadWhenBusy(0, Optional.of("big")));
      for (var e : policies.entrySet()) {
        Variant v =
            cloud.publish(
                e.getKey(), "f32", e.getKey().equals("busy") ? wide() : small, ModelFormats.GGUF);
        cloud.deploy(
            e.getKey() + "-edge",
            DeploymentSpec.edge(e.getKey(), v.version(), "f32", Selector.ALL)
                .withPolicy(e.getValue()));
      }
      try (EdgeAgent agent =
          EdgeAgent.start(
              TestModels.agent(cloud.url(), dir.resolve("edge"))
                  .enrollToken(cloud.enrollmentToken(Map.of()))
                  .build())) {
        URI edge = URI.create("http://127.0.0.1:" + agent.httpPort());
        URI cloudUri = cloud.api.baseUrl();
        for (String m : policies.keySet()) {
          await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> post(edge, m, false, false).statusCode() == 200);
        }
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> post(cloudUri, "big", false, false).statusCode() == 200);
        String cloudAnswer = text(post(cloudUri, "big", false, false));
        String edgeAnswer = text(post(edge, "sure", false, true));
        assertThat(cloudAnswer).isNotEqualTo(edgeAnswer);

        HttpResponse<String> sure = post(edge, "sure", false, false);
        JsonNode marks = Json.mapper().readTree(sure.body()).path("strata");
        assertThat(marks.path("served_by").asText()).isEqualTo("edge");
        assertThat(marks.path("confidence_measure").asText()).isEqualTo("AGREEMENT");
        assertThat(marks.path("confidence").asDouble(-1)).isBetween(0.0, 1.0);
        assertThat(sure.headers().firstValue("X-Strata-Served-By")).hasValue("edge");
        assertThat(text(sure)).isEqualTo(edgeAnswer);

        HttpResponse<String> unsure = post(edge, "unsure", false, false);
        JsonNode u = Json.mapper().readTree(unsure.body());
        assertThat(u.path("strata").path("confidence").asDouble()).isLessThan(0.99);
        assertThat(u.path("strata").path("served_by").asText()).isEqualTo("cloud");
        assertThat(u.path("model").asText()).isEqualTo("unsure");
        assertThat(text(unsure)).isEqualTo(cloudAnswer);

        List<JsonNode> chunks = stream(post(edge, "unsure", true, false));
        assertThat(chunks.getFirst().path("strata").path("served_by").asText()).isEqualTo("cloud");
        StringBuilder streamed = new StringBuilder();
        chunks.forEach(c -> streamed.append(c.path("choices").path(0).path("text").asText()));
        assertThat(streamed.toString()).isEqualTo(cloudAnswer);

        HttpResponse<String> forward = post(edge, "forward", false, false);
        assertThat(Json.mapper().readTree(forward.body()).path("strata").path("served_by").asText())
            .isEqualTo("cloud");
        assertThat(text(forward)).isEqualTo(cloudAnswer);

        HttpResponse<String> orphan = post(edge, "orphan", false, false);
        JsonNode o = Json.mapper().readTree(orphan.body()).path("strata");
        assertThat(o.path("served_by").asText()).isEqualTo("edge-fallback");
        assertThat(o.path("cloud_error").asText()).contains("404").contains("missing");
        assertThat(text(orphan)).isEqualTo(edgeAnswer);

        // offload-when-busy, queue limit 0: while one generation runs on the edge, the next
        // request goes to the cloud; once it has stopped, the edge answers again
        assertThat(
                Json.mapper()
                    .readTree(post(edge, "busy", false, false).body())
                    .at("/strata/served_by")
                    .asText())
            .isEqualTo("edge");
        ObjectNode longRun = Json.mapper().createObjectNode();
        longRun.put("model", "busy");
        longRun.put("prompt", "the cat");
        longRun.put("max_tokens", 480);
        longRun.put("temperature", 0);
        longRun.put("stream", true);
        int eos = ByteBpeVocabulary.of(List.of("t h", "e r", "i n")).eos();
        longRun.putObject("logit_bias").put(Integer.toString(eos), -100);
        HttpResponse<Stream<String>> running =
            http.send(
                HttpRequest.newBuilder(edge.resolve("/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(longRun.toString()))
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = running.body()) {
          assertThat(lines.iterator().next()).startsWith("data: "); // it is generating
          HttpResponse<String> offloaded = post(edge, "busy", false, false);
          assertThat(Json.mapper().readTree(offloaded.body()).at("/strata/served_by").asText())
              .isEqualTo("cloud");
          assertThat(text(offloaded)).isEqualTo(cloudAnswer);
        }
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    Json.mapper()
                        .readTree(post(edge, "busy", false, false).body())
                        .at("/strata/served_by")
                        .asText()
                        .equals("edge"));

        cloud.stop();
        HttpResponse<String> offline = post(edge, "unsure", false, false);
        assertThat(offline.statusCode()).isEqualTo(200);
        JsonNode off = Json.mapper().readTree(offline.body()).path("strata");
        assertThat(off.path("served_by").asText()).isEqualTo("edge-fallback");
        assertThat(off.path("cloud_error").asText()).isNotBlank();
        assertThat(text(offline)).isEqualTo(edgeAnswer);
        List<JsonNode> offStream = stream(post(edge, "unsure", true, false));
        assertThat(offStream.getFirst().path("strata").path("served_by").asText())
            .isEqualTo("edge-fallback");
      }
    }
  }

  /**
   * A model slow enough on two cores (width 384, 6 layers: a few hundred tokens take seconds) that
   * a request sent while it generates finds it busy.
   */
  private byte[] wide() throws Exception {
    Path file = dir.resolve("wide.gguf");
    LlamaGguf.random(
            "wide",
            new LlamaGguf.Spec(384, 6, 6, 6, 1024, 512, 1e-5f, 10000f),
            ByteBpeVocabulary.of(List.of("t h", "e r", "i n")),
            3)
        .write(file, GgmlType.F16);
    return Files.readAllBytes(file);
  }

  private static InferencePolicy cascade(double threshold, Optional<String> cloudModel) {
    return new InferencePolicy.Cascade(ConfidenceMeasure.AGREEMENT, threshold, cloudModel);
  }

  private HttpResponse<String> post(URI base, String model, boolean stream, boolean edgeOnly)
      throws Exception {
    ObjectNode body = Json.mapper().createObjectNode();
    body.put("model", model);
    body.put("prompt", "the cat");
    body.put("max_tokens", 8);
    body.put("temperature", 0);
    body.put("stream", stream);
    if (edgeOnly) {
      body.putObject("strata").put("policy", "edge-only");
    }
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v1/completions"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String text(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Json.mapper().readTree(r.body()).path("choices").path(0).path("text").asText();
  }

  /** The stream's chunks, checked to end with [DONE]. */
  private static List<JsonNode> stream(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> data = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    assertThat(data).isNotEmpty();
    assertThat(data.getLast()).isEqualTo("[DONE]");
    List<JsonNode> chunks = new ArrayList<>();
    for (String d : data.subList(0, data.size() - 1)) {
      chunks.add(Json.mapper().readTree(d));
    }
    return chunks;
  }
}
