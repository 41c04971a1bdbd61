package dev.strata.bench.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/** The cloud's API as the benchmark uses it: admin set-up calls and the agents' three calls. */
final class ControlPlane {
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String adminToken;
  private final HttpClient http;

  ControlPlane(URI base, String adminToken, HttpClient http) {
    this.base = base;
    this.adminToken = adminToken;
    this.http = http;
  }

  private HttpRequest.Builder request(String path, String token) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token);
  }

  JsonNode admin(String method, String path, String json) {
    HttpRequest r =
        request(path, adminToken)
            .header("Content-Type", "application/json")
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json))
            .build();
    return parse(send(r), path);
  }

  private HttpResponse<String> send(HttpRequest r) {
    try {
      return http.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode parse(HttpResponse<String> r, String what) {
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(what + ": " + r.statusCode() + " " + r.body());
    }
    try {
      return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * An edge deployment every agent matches, so that desired states carry a signed manifest as in
   * production: a model with one version whose variant is a small random artifact.
   */
  void deployToEveryAgent(String deployment, String model) {
    byte[] artifact = new byte[64 * 1024];
    new Random(42).nextBytes(artifact);
    String sha;
    try {
      sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(artifact));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    HttpResponse<String> exists =
        send(request("/api/v1/models/" + model, adminToken).GET().build());
    if (exists.statusCode() == 404) {
      admin("POST", "/api/v1/models", "{\"name\":\"" + model + "\"}");
    }
    parse(
        send(
            request("/api/v1/artifacts", adminToken)
                .header("X-Strata-Sha256", sha)
                .POST(HttpRequest.BodyPublishers.ofByteArray(artifact))
                .build()),
        "upload");
    long version =
        admin("POST", "/api/v1/models/" + model + "/versions", null).get("version").asLong();
    admin(
        "POST",
        "/api/v1/models/" + model + "/versions/" + version + "/variants",
        "{\"name\":\"int8\",\"format\":\"onnx\",\"sha256\":\"" + sha + "\"}");
    admin(
        "PUT",
        "/api/v1/deployments/" + deployment,
        "{\"model\":\""
            + model
            + "\",\"version\":"
            + version
            + ",\"variant\":\"int8\",\"target\":\"EDGE\",\"selector\":\"fleet=bench\","
            + "\"policy\":{\"type\":\"cascade\",\"measure\":\"MAX_PROBABILITY\",\"threshold\":0.6}}");
  }

  /** A token for the node named {@code node}: it enrolls it, or re-enrolls it on a rerun. */
  String enrollmentToken(String node) {
    return admin(
            "POST",
            "/api/v1/enrollment-tokens",
            "{\"description\":\"fleet benchmark\",\"labels\":{\"fleet\":\"bench\"},\"node\":\""
                + node
                + "\"}")
        .get("token")
        .asText();
  }

  CompletableFuture<HttpResponse<String>> enroll(String token, String name) {
    String body =
        "{\"token\":\"" + token + "\",\"name\":\"" + name + "\",\"labels\":{\"sim\":\"true\"}}";
    return http.sendAsync(
        HttpRequest.newBuilder(base.resolve("/api/v1/nodes/enroll"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> heartbeat(String credential, String json) {
    return http.sendAsync(
        request("/api/v1/nodes/self/heartbeat", credential)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> desiredState(String credential, String etag) {
    HttpRequest.Builder b = request("/api/v1/nodes/self/desired-state", credential).GET();
    if (!etag.isEmpty()) {
      b.header("If-None-Match", "\"" + etag + "\"");
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
