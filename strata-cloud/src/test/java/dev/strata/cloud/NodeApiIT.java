package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.control.ManifestVerifier;
import dev.strata.control.SignedManifest;
import dev.strata.registry.testing.TestDb;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What an edge agent does, over HTTP: enroll, heartbeat, poll its desired state with ETags, verify
 * and download (resumably) the artifacts it names, upload hard examples; and what management sees
 * of it.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class NodeApiIT {
  @Parameter TestDb db;
  @TempDir Path dir;
  private TestCloud cloud;
  private Api edge;
  private String nodeId;
  private String publicKey;

  @BeforeEach
  void enroll() {
    cloud = TestCloud.start(dir, db);
    String token =
        cloud
            .admin
            .expect(
                201,
                cloud.admin.post(
                    "/api/v1/enrollment-tokens",
                    Map.of("description", "edge", "labels", Map.of("site", "shanghai"))))
            .get("token")
            .asText();
    Api.Response r =
        cloud
            .anonymous()
            .post(
                "/api/v1/nodes/enroll",
                Map.of("token", token, "name", "edge-1", "labels", Map.of("tier", "gateway")));
    JsonNode enrollment = cloud.anonymous().expect(201, r);
    nodeId = enrollment.get("nodeId").asText();
    publicKey = enrollment.get("manifestPublicKey").asText();
    assertThat(enrollment.get("labels").get("site").asText()).isEqualTo("shanghai");
    assertThat(enrollment.get("heartbeatInterval").asText()).isEqualTo("PT10S");
    edge = cloud.anonymous().as(enrollment.get("credential").asText());
    // a token enrolls once
    Api.Response again =
        cloud
            .anonymous()
            .post(
                "/api/v1/nodes/enroll",
                Map.of("token", token, "name", "edge-2", "labels", Map.of()));
    assertThat(again.status()).isEqualTo(401);
  }

  @AfterEach
  void stop() {
    if (cloud != null) {
      cloud.close();
    }
  }

  private Map<String, Object> edgeDeployment(long version, boolean hardExamples) {
    return Map.of(
        "model",
        "mlp",
        "version",
        version,
        "variant",
        "fp32",
        "target",
        "EDGE",
        "selector",
        "site=shanghai",
        "strategy",
        Map.of("type", "all-at-once"),
        "policy",
        Map.of("type", "cascade", "measure", "MAX_PROBABILITY", "threshold", 0.6),
        "hardExamples",
        hardExamples
            ? Map.of("enabled", true, "maxTotalBytes", 1 << 20, "maxSampleBytes", 1 << 16)
            : Map.of("enabled", false, "maxTotalBytes", 0, "maxSampleBytes", 0));
  }

  @Test
  void heartbeatsDesiredStateWithEtagsAndVerifiedDownloads() throws Exception {
    JsonNode beat =
        edge.expect(
            200,
            edge.post(
                "/api/v1/nodes/self/heartbeat",
                Map.of(
                    "agentVersion",
                    "0.1.0",
                    "health",
                    "HEALTHY",
                    "queueDepth",
                    0,
                    "cpuPercent",
                    3.5,
                    "memoryUsedBytes",
                    1000,
                    "memoryTotalBytes",
                    2000)));
    String emptyEtag = beat.get("desiredStateEtag").asText();
    Api.Response state = edge.get("/api/v1/nodes/self/desired-state");
    assertThat(edge.expect(200, state).get("models")).isEmpty();
    assertThat(state.header("ETag")).hasValue("\"" + emptyEtag + "\"");
    Api.Response unchanged =
        edge.send(
            edge.request("/api/v1/nodes/self/desired-state")
                .header("If-None-Match", "\"" + emptyEtag + "\"")
                .GET()
                .build());
    assertThat(unchanged.status()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();

    byte[] onnx = TestCloud.mlp(1);
    long v = cloud.publish("mlp", onnx);
    // the artifact is not the node's to read until a deployment names it
    Api.Response refused = edge.get("/api/v1/artifacts/" + dev.strata.control.Sha256.hex(onnx));
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("error").asText()).contains("not in the desired state");

    cloud.admin.expect(201, cloud.admin.put("/api/v1/deployments/det", edgeDeployment(v, false)));
    Api.Response changed =
        edge.send(
            edge.request("/api/v1/nodes/self/desired-state")
                .header("If-None-Match", "\"" + emptyEtag + "\"")
                .GET()
                .build());
    JsonNode desired = edge.expect(200, changed);
    JsonNode model = desired.get("models").get(0);
    assertThat(model.get("deployment").asText()).isEqualTo("det");
    assertThat(model.get("policy").get("type").asText()).isEqualTo("cascade");

    // the edge verifies the manifest with the key it got at enrollment, then the bytes
    SignedManifest manifest = Json.read(model.get("manifest").toString(), SignedManifest.class);
    HttpClient http = HttpClient.newHttpClient();
    String path = "/api/v1/artifacts/" + model.get("sha256").asText();
    HttpResponse<byte[]> first =
        http.send(
            edge.request(path).header("Range", "bytes=0-99").GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> rest =
        http.send(
            edge.request(path).header("Range", "bytes=100-").GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(first.statusCode()).isEqualTo(206);
    assertThat(rest.statusCode()).isEqualTo(206);
    byte[] whole = new byte[first.body().length + rest.body().length];
    System.arraycopy(first.body(), 0, whole, 0, first.body().length);
    System.arraycopy(rest.body(), 0, whole, first.body().length, rest.body().length);
    assertThat(whole).isEqualTo(onnx);
    ManifestVerifier.forPublicKey(publicKey)
        .verifyArtifact(manifest, new java.io.ByteArrayInputStream(whole));
    assertThat(
            edge.send(
                    edge.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build())
                .header("Content-Length"))
        .hasValue(Integer.toString(onnx.length));

    // the signing key is public, and the same as the one given at enrollment
    assertThat(cloud.anonymous().get("/api/v1/signing-key").json().get("publicKey").asText())
        .isEqualTo(publicKey);

    // management sees the node's actual state next to its desired state
    edge.expect(
        200,
        edge.post(
            "/api/v1/nodes/self/heartbeat",
            Map.of(
                "agentVersion",
                "0.1.0",
                "health",
                "HEALTHY",
                "models",
                List.of(
                    Map.of(
                        "deployment", "det",
                        "revision", 1,
                        "model", "mlp",
                        "version", v,
                        "variant", "fp32",
                        "state", "READY")),
                "queueDepth",
                0,
                "cpuPercent",
                3.5,
                "memoryUsedBytes",
                1000,
                "memoryTotalBytes",
                2000,
                "desiredStateEtag",
                desired.get("etag").asText())));
    JsonNode view = cloud.admin.expect(200, cloud.admin.get("/api/v1/nodes/" + nodeId));
    assertThat(view.get("node").get("state").asText()).isEqualTo("ONLINE");
    assertThat(view.get("desired").get("etag").asText()).isEqualTo(desired.get("etag").asText());
    JsonNode status = cloud.admin.expect(200, cloud.admin.get("/api/v1/deployments/det/status"));
    assertThat(status.get("inSync").asInt()).isEqualTo(1);
    assertThat(cloud.admin.get("/api/v1/nodes?selector=tier%3Dgateway").json().get("items"))
        .hasSize(1);
    assertThat(cloud.admin.get("/api/v1/nodes?selector=tier%3Dcloud").json().get("items"))
        .isEmpty();
    assertThat(cloud.admin.get("/api/v1/nodes?selector=%3D%3D").status()).isEqualTo(400);
    assertThat(cloud.admin.get("/api/v1/nodes:summary").json().get("online").asInt()).isEqualTo(1);
    assertThat(cloud.admin.get("/api/v1/whoami").json().get("role").asText()).isEqualTo("ADMIN");
    assertThat(edge.get("/api/v1/whoami").json().get("type").asText()).isEqualTo("node");
  }

  @Test
  void hardExamplesUploadAsMultipartAndExport() throws Exception {
    long v = cloud.publish("mlp", TestCloud.mlp(1));
    cloud.admin.expect(201, cloud.admin.put("/api/v1/deployments/det", edgeDeployment(v, true)));
    String boundary = "strata-boundary-1234";
    byte[] input = {1, 2, 3, 4, 5};
    String metadata =
        "{\"deployment\":\"det\",\"contentType\":\"application/octet-stream\","
            + "\"edgeAnswer\":{\"label\":\"a\"},\"cloudAnswer\":{\"label\":\"b\"}}";
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
                + "Content-Type: application/json\r\n\r\n"
                + metadata
                + "\r\n--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"input\"; filename=\"input.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(input);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    Api.Response r =
        edge.send(
            edge.request("/api/v1/nodes/self/samples")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build());
    JsonNode sample = edge.expect(201, r);
    String id = sample.get("id").asText();
    assertThat(sample.get("nodeId").asText()).isEqualTo(nodeId);

    assertThat(cloud.admin.get("/api/v1/deployments/det/samples").json().get("items")).hasSize(1);
    assertThat(
            cloud.admin.get("/api/v1/deployments/det/samples:usage").json().get("bytes").asLong())
        .isEqualTo(input.length);
    HttpResponse<byte[]> raw =
        HttpClient.newHttpClient()
            .send(
                cloud.admin.request("/api/v1/samples/" + id + "/input").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(raw.body()).isEqualTo(input);
    Api.Response export = cloud.admin.get("/api/v1/deployments/det/samples:export");
    assertThat(export.header("Content-Type")).hasValue("application/x-ndjson");
    JsonNode line = Json.mapper().readTree(export.body().strip());
    assertThat(java.util.Base64.getDecoder().decode(line.get("input").asText())).isEqualTo(input);
    // the export's temporary file goes once the response is written
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> Arrays.asList(dir.resolve("tmp").toFile().list()).isEmpty());

    // a body that is not multipart, or lacks a part, is refused with what was expected
    Api.Response json = edge.post("/api/v1/nodes/self/samples", metadata);
    assertThat(json.status()).isEqualTo(400);
    assertThat(json.json().get("error").asText()).contains("multipart/form-data");

    cloud.admin.expect(204, cloud.admin.delete("/api/v1/samples/" + id));
    assertThat(cloud.admin.get("/api/v1/samples/" + id).status()).isEqualTo(404);
  }

  @Test
  void labelsAndRemovalTakeEffectAtOnce() {
    JsonNode node =
        cloud.admin.expect(
            200, cloud.admin.put("/api/v1/nodes/" + nodeId + "/labels", Map.of("site", "berlin")));
    assertThat(node.get("labels").get("site").asText()).isEqualTo("berlin");
    cloud.admin.expect(204, cloud.admin.delete("/api/v1/nodes/" + nodeId));
    Api.Response gone = edge.get("/api/v1/nodes/self/desired-state");
    assertThat(gone.status()).isEqualTo(401);
  }
}
