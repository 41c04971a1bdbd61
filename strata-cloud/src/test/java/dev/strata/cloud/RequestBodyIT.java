package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Sha256;
import dev.strata.registry.testing.TestDb;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies a client gets wrong are 400s naming the problem, never 500s: every body-taking
 * endpoint of the route table is tried with {@code null}, {@code []}, {@code "x"} and {@code {}};
 * then trailing garbage, lifetimes out of range, selectors that are not what they seem, unknown
 * formats and empty artifacts. Enum values are read in any case, as docs/api.md says.
 */
class RequestBodyIT {
  /** Endpoints that read no body: whatever is sent is ignored. */
  private static final Set<String> BODYLESS =
      Set.of(
          "POST /api/v1/artifacts:gc",
          "POST /api/v1/deployments/{name}:promote",
          "POST /api/v1/federated/jobs/{job}/stop");

  @TempDir static Path dir;
  static TestCloud cloud;
  static String node;
  static long version;

  @BeforeAll
  static void start() {
    cloud = TestCloud.start(dir, TestDb.SQLITE);
    JsonNode token =
        cloud.admin.expect(
            201,
            cloud.admin.post(
                "/api/v1/enrollment-tokens", Map.of("description", "t", "labels", Map.of())));
    node =
        cloud
            .anonymous()
            .expect(
                201,
                cloud
                    .anonymous()
                    .post(
                        "/api/v1/nodes/enroll",
                        Map.of("token", token.get("token").asText(), "name", "edge-1")))
            .get("credential")
            .asText();
    version = cloud.publish("m", TestCloud.mlp(1));
  }

  @AfterAll
  static void stop() {
    cloud.close();
  }

  private static String concrete(String pattern) {
    return pattern
        .replace("{model}", "m")
        .replace("{version}", Long.toString(version))
        .replace("{variant}", "fp32")
        .replace("{id}", "x")
        .replace("{job}", "j")
        .replace("{round}", "1")
        .replace("{name}", "d");
  }

  private static Api.Response send(Endpoint e, String body) {
    String token =
        e.access() instanceof Access.Node ? node : TestCloud.ADMIN_TOKEN; // enroll ignores it
    HttpRequest request =
        HttpRequest.newBuilder(cloud.uri(concrete(e.pattern())))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + token)
            .method(e.method(), HttpRequest.BodyPublishers.ofString(body))
            .build();
    return cloud.anonymous().send(request);
  }

  @Test
  void everyBodyTakingEndpointRefusesBodiesOfTheWrongShapeWith400() {
    List<Endpoint> bodyTaking =
        cloud.server.api().endpoints().stream()
            .filter(e -> Set.of("POST", "PUT", "PATCH").contains(e.method()))
            .filter(e -> !e.streaming()) // uploads take raw bytes: any body is an artifact
            .filter(e -> !BODYLESS.contains(e.method() + " " + e.pattern()))
            .toList();
    assertThat(bodyTaking).hasSizeGreaterThanOrEqualTo(11);
    for (Endpoint e : bodyTaking) {
      for (String body : List.of("null", "[]", "\"x\"")) {
        Api.Response r = send(e, body);
        assertThat(r.status())
            .as("%s %s with %s: %s", e.method(), e.pattern(), body, r.body())
            .isEqualTo(400);
        assertThat(r.json().get("code").asText()).isEqualTo("INVALID_ARGUMENT");
      }
      Api.Response empty = send(e, "{}");
      assertThat(empty.status())
          .as("%s %s with {}: %s", e.method(), e.pattern(), empty.body())
          .isBetween(200, 499);
    }
    Api.Response nullEnroll =
        cloud.anonymous().post("/api/v1/nodes/enroll", "null"); // no credential at all
    assertThat(nullEnroll.status()).isEqualTo(400);
    assertThat(nullEnroll.json().get("error").asText()).contains("EnrollRequest: null body");
  }

  @Test
  void trailingGarbageAfterTheBodyIsRefused() {
    Api.Response r =
        cloud.admin.post("/api/v1/models", "{\"name\":\"trailing\",\"description\":\"\"} x");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("CreateModelRequest: invalid JSON");
    Api.Response two = cloud.admin.post("/api/v1/models", "{\"name\":\"two\"}{\"name\":\"three\"}");
    assertThat(two.status()).isEqualTo(400);
    assertThat(two.json().get("error").asText()).contains("Trailing token");
    assertThat(cloud.admin.get("/api/v1/models/trailing").status()).isEqualTo(404);
    assertThat(cloud.admin.get("/api/v1/models/two").status()).isEqualTo(404);
  }

  @Test
  void enumValuesAreReadInAnyCase() {
    JsonNode key =
        cloud.admin.expect(
            201, cloud.admin.post("/api/v1/api-keys", Map.of("name", "lower", "role", "viewer")));
    assertThat(key.get("key").get("role").asText()).isEqualTo("VIEWER");
    cloud.admin.expect(
        201, cloud.admin.post("/api/v1/api-keys", Map.of("name", "mixed", "role", "Deployer")));
    Api.Response wrong =
        cloud.admin.post("/api/v1/api-keys", Map.of("name", "wrong", "role", "root"));
    assertThat(wrong.status()).isEqualTo(400);
    assertThat(wrong.json().get("error").asText()).contains("root");
  }

  @Test
  void lifetimesOverTheMaximumAreRefusedNamingIt() {
    for (String ttl : List.of("P99999999999D", "PT9223372036854775807S", "P3651D")) {
      Api.Response key =
          cloud.admin.post("/api/v1/api-keys", Map.of("name", "k", "role", "VIEWER", "ttl", ttl));
      assertThat(key.status()).as("api key ttl %s: %s", ttl, key.body()).isEqualTo(400);
      assertThat(key.json().get("error").asText()).contains("P3650D");
      Api.Response token =
          cloud.admin.post(
              "/api/v1/enrollment-tokens",
              Map.of("description", "t", "labels", Map.of(), "ttl", ttl));
      assertThat(token.status()).as("token ttl %s: %s", ttl, token.body()).isEqualTo(400);
      assertThat(token.json().get("error").asText()).contains("P3650D");
    }
    cloud.admin.expect(
        201,
        cloud.admin.post(
            "/api/v1/api-keys", Map.of("name", "ten-years", "role", "VIEWER", "ttl", "P3650D")));
  }

  @Test
  void selectorsThatAreNotWhatTheySeemAreRefused() {
    for (String selector : List.of("a==b", "k in ()", "k notin ( )", "a=b,k in ()")) {
      Api.Response r =
          cloud.admin.put(
              "/api/v1/deployments/sel",
              Map.of(
                  "model",
                  "m",
                  "version",
                  version,
                  "variant",
                  "fp32",
                  "target",
                  "EDGE",
                  "selector",
                  selector));
      assertThat(r.status()).as("selector %s: %s", selector, r.body()).isEqualTo(400);
      assertThat(r.json().get("error").asText()).contains("selector");
      Api.Response list =
          cloud.admin.get(
              "/api/v1/nodes?selector="
                  + java.net.URLEncoder.encode(selector, java.nio.charset.StandardCharsets.UTF_8));
      assertThat(list.status()).isEqualTo(400);
    }
    assertThat(cloud.admin.get("/api/v1/deployments/sel").status()).isEqualTo(404);
  }

  @Test
  void unsupportedFormatsAndEmptyArtifactsAreRefused() {
    JsonNode artifact = cloud.admin.expect(201, cloud.admin.upload(TestCloud.mlp(2), Map.of()));
    JsonNode v = cloud.admin.expect(201, cloud.admin.post("/api/v1/models/m/versions", Map.of()));
    Api.Response pytorch =
        cloud.admin.post(
            "/api/v1/models/m/versions/" + v.get("version").asLong() + "/variants",
            Map.of("name", "pt", "format", "pytorch", "sha256", artifact.get("sha256").asText()));
    assertThat(pytorch.status()).isEqualTo(400);
    assertThat(pytorch.json().get("error").asText()).contains("pytorch").contains("onnx");

    Api.Response empty = cloud.admin.upload(new byte[0], Map.of());
    assertThat(empty.status()).isEqualTo(400);
    assertThat(empty.json().get("error").asText()).contains("0 bytes");
    Api.Response announced =
        cloud.admin.upload(new byte[0], Map.of("X-Strata-Sha256", Sha256.hex(new byte[0])));
    assertThat(announced.status()).isEqualTo(400);
    assertThat(cloud.admin.get("/api/v1/artifacts/" + Sha256.hex(new byte[0])).status())
        .isEqualTo(404);
  }

  @Test
  void optionalBodiesStillMayBeLeftOut() {
    assertThat(cloud.admin.post("/api/v1/models/m/versions", null).status()).isEqualTo(201);
    assertThat(Optional.ofNullable(cloud.admin.get("/api/v1/models/m").json().get("name")))
        .hasValueSatisfying(n -> assertThat(n.asText()).isEqualTo("m"));
  }
}
