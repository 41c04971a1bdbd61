package dev.strata.registry.samples;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Sample;
import dev.strata.api.SampleUsage;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.EnrollRequest;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.Json;
import dev.strata.control.SampleUpload;
import dev.strata.core.ErrorCode;
import dev.strata.registry.RegistryFixture;
import dev.strata.registry.TestModels;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.testing.TestDb;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(TestDb.class)
class SampleStoreTest {
  @Parameter TestDb db;
  @TempDir Path dir;
  RegistryFixture fx;
  SampleStore samples;
  NodePrincipal edge;
  NodePrincipal outsider;
  Variant v;

  @BeforeEach
  void open() {
    fx = new RegistryFixture(db, dir);
    samples = fx.registry().samples();
    v = TestModels.newVersion(fx.registry().models(), "clf", "int8", "weights");
    edge = enroll("edge-1", "shanghai");
    outsider = enroll("edge-2", "beijing");
  }

  @AfterEach
  void close() {
    if (fx != null) { // null when the fixture could not open
      fx.close();
    }
  }

  private NodePrincipal enroll(String name, String site) {
    var fleet = fx.registry().fleet();
    String t =
        fleet
            .createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(Map.of("site", site)))
            .token();
    var e = fleet.enroll(new EnrollRequest(t, name, Map.of()));
    return new NodePrincipal(e.nodeId(), e.name());
  }

  private void deploy(HardExamplePolicy policy) {
    fx.registry()
        .deployments()
        .apply(
            "clf-edge",
            DeploymentSpec.edge("clf", v.version(), "int8", Selector.parse("site=shanghai"))
                .withHardExamples(policy));
  }

  private static SampleUpload upload(String label) {
    JsonNode edgeAnswer = Json.read("{\"label\":\"" + label + "\",\"p\":0.51}", JsonNode.class);
    JsonNode cloudAnswer = Json.read("{\"label\":\"dog\",\"p\":0.97}", JsonNode.class);
    return new SampleUpload("clf-edge", "application/octet-stream", edgeAnswer, cloudAnswer);
  }

  private Sample put(NodePrincipal node, String input) {
    return fx.registry()
        .nodes()
        .uploadSample(
            node, upload("cat"), new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void collectionIsOptInAndLimitedToTargetedNodes() {
    deploy(HardExamplePolicy.DISABLED);
    assertCode(() -> put(edge, "x"), ErrorCode.FAILED_PRECONDITION, "not enabled");
    deploy(HardExamplePolicy.upTo(100, 10));
    assertCode(
        () -> put(outsider, "x"), ErrorCode.PERMISSION_DENIED, "does not target node edge-2");
    assertCode(() -> put(edge, "01234567890"), ErrorCode.PAYLOAD_TOO_LARGE, "more than 10 bytes");
    Sample s = put(edge, "0123456789");
    assertThat(s.model()).isEqualTo("clf");
    assertThat(s.version()).isEqualTo(v.version());
    assertThat(s.edgeAnswer().get("label").asText()).isEqualTo("cat");
    assertThat(s.cloudAnswer().get("p").asDouble()).isEqualTo(0.97);
  }

  @Test
  void theOldestSamplesAreDroppedAtTheCap() throws Exception {
    deploy(HardExamplePolicy.upTo(25, 10));
    Sample first = put(edge, "aaaaaaaaaa");
    fx.clock.advance(Duration.ofSeconds(1));
    put(edge, "bbbbbbbbbb");
    fx.clock.advance(Duration.ofSeconds(1));
    Sample third = put(edge, "cccccccccc");
    assertThat(samples.usage("clf-edge")).isEqualTo(new SampleUsage(2, 20));
    assertCode(() -> samples.get(first.id()), ErrorCode.NOT_FOUND, first.id());
    // its input is gone too, unless another sample shares it
    assertThat(fx.registry().samples().list("clf-edge", Optional.empty(), 10))
        .extracting(x -> x.inputSha256())
        .doesNotContain(first.inputSha256());
    try (var in = samples.openInput(third.id())) {
      assertThat(new String(in.stream().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("cccccccccc");
    }
    assertThat(
            samples.list(
                "clf-edge",
                Optional.of(samples.list("clf-edge", Optional.empty(), 1).getFirst().id()),
                10))
        .extracting(Sample::id)
        .containsExactly(third.id());
  }

  @Test
  void exportWritesJsonLinesWithInputs() {
    deploy(HardExamplePolicy.upTo(1000, 100));
    put(edge, "first input");
    fx.clock.advance(Duration.ofSeconds(1));
    put(edge, "second input");
    var out = new ByteArrayOutputStream();
    assertThat(samples.export("clf-edge", out)).isEqualTo(2);
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(2);
    JsonNode line = Json.read(lines[1], JsonNode.class);
    assertThat(
            new String(
                Base64.getDecoder().decode(line.get("input").asText()), StandardCharsets.UTF_8))
        .isEqualTo("second input");
    assertThat(line.get("cloudAnswer").get("label").asText()).isEqualTo("dog");
    assertThat(line.get("deployment").asText()).isEqualTo("clf-edge");
  }
}
