package dev.strata.it;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The calls the tests make on the cloud's management API ({@code /api/v1}, docs/api.md), over the
 * JDK's HTTP client and Jackson: deliberately the wire format, not the registry's Java records, so
 * that the tests see what any client sees. Every call carries the admin token.
 */
final class ManagementClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http;
  private final URI base;
  private final String token;

  ManagementClient(HttpClient http, URI base, String token) {
    this.http = requireNonNull(http, "http");
    this.base = requireNonNull(base, "base");
    this.token = requireNonNull(token, "token");
  }

  /** A response, its body read as text. */
  record Reply(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw new AssertionError("not JSON (status " + status + "): " + body, e);
      }
    }

    /** The JSON body, after checking the status is one of {@code expected}. */
    JsonNode expect(int... expected) {
      for (int e : expected) {
        if (status == e) {
          return body.isEmpty() ? JSON.nullNode() : json();
        }
      }
      throw new AssertionError(
          "expected status " + Arrays.toString(expected) + " but got " + status + ": " + body);
    }
  }

  URI base() {
    return base;
  }

  Reply call(String method, String path, Object body) {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(write(body), StandardCharsets.UTF_8);
    return send(
        request(path).header("Content-Type", "application/json").method(method, publisher).build());
  }

  Reply get(String path) {
    return call("GET", path, null);
  }

  Reply post(String path, Object body) {
    return call("POST", path, body);
  }

  Reply put(String path, Object body) {
    return call("PUT", path, body);
  }

  Reply head(String path) {
    return send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(TIMEOUT)
        .header("Authorization", "Bearer " + token);
  }

  private Reply send(HttpRequest request) {
    try {
      HttpResponse<String> r =
          http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + request.uri(), e);
    }
  }

  /** Uploads an artifact announcing its digest ({@code X-Strata-Sha256}); returns the digest. */
  String upload(byte[] bytes) {
    String sha = sha256(bytes);
    JsonNode artifact =
        upload(sha, bytes.length, () -> new ByteArrayInputStream(bytes)).expect(200, 201);
    if (!artifact.get("sha256").asText().equals(sha)) {
      throw new AssertionError("uploaded " + sha + " but the cloud stored " + artifact);
    }
    return sha;
  }

  /**
   * Streams an artifact of {@code size} bytes from {@code body} with its announced digest (the
   * request has a Content-Length; the body is never held in memory).
   */
  Reply upload(String sha256, long size, Supplier<InputStream> body) {
    HttpRequest request =
        request("/api/v1/artifacts")
            .header("Content-Type", "application/octet-stream")
            .header("X-Strata-Sha256", sha256)
            .POST(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(body), size))
            .build();
    return send(request);
  }

  /**
   * Registers {@code model} when it is new, uploads {@code onnx} and makes it the model's next
   * version with one variant {@code fp32}; returns the version number.
   */
  long publish(String model, byte[] onnx) {
    if (get("/api/v1/models/" + model).status() == 404) {
      post(
              "/api/v1/models",
              Map.of("name", model, "description", "end-to-end test model", "tags", Map.of()))
          .expect(201);
    }
    String sha = upload(onnx);
    long version =
        post("/api/v1/models/" + model + "/versions", Map.of("description", "", "tags", Map.of()))
            .expect(201)
            .get("version")
            .asLong();
    Map<String, Object> variant = new LinkedHashMap<>();
    variant.put("name", "fp32");
    variant.put("format", "onnx");
    variant.put("sha256", sha);
    variant.put(
        "signature",
        Map.of(
            "inputs",
            List.of(Map.of("name", "input", "datatype", "FP32", "shape", List.of(-1, 4))),
            "outputs",
            List.of(Map.of("name", "probabilities", "datatype", "FP32", "shape", List.of(-1, 3)))));
    variant.put("labels", List.of("a", "b", "c"));
    post("/api/v1/models/" + model + "/versions/" + version + "/variants", variant).expect(201);
    return version;
  }

  /** A one-time enrollment token whose labels the node gets. */
  String enrollmentToken(Map<String, String> labels) {
    return post(
            "/api/v1/enrollment-tokens",
            Map.of("description", "end-to-end test", "labels", labels, "ttl", "PT1H"))
        .expect(201)
        .get("token")
        .asText();
  }

  /** The cloud's manifest-signing public key (base64 X.509), as edges pin it. */
  String signingKey() {
    return get("/api/v1/signing-key").expect(200).get("publicKey").asText();
  }

  /** {@code PUT /api/v1/deployments/{name}}: the deployment after the change. */
  JsonNode apply(String deployment, Spec spec) {
    return put("/api/v1/deployments/" + deployment, spec.json()).expect(200, 201);
  }

  /** {@code POST /api/v1/deployments/{name}:rollback}: aborts a canary, else goes back one. */
  JsonNode rollback(String deployment, String reason) {
    return post("/api/v1/deployments/" + deployment + ":rollback", Map.of("reason", reason))
        .expect(200);
  }

  JsonNode deployment(String name) {
    return get("/api/v1/deployments/" + name).expect(200);
  }

  /** The deployment's revisions, newest first. */
  JsonNode revisions(String name) {
    return get("/api/v1/deployments/" + name + "/revisions").expect(200).get("items");
  }

  JsonNode status(String name) {
    return get("/api/v1/deployments/" + name + "/status").expect(200);
  }

  JsonNode nodes() {
    return get("/api/v1/nodes").expect(200).get("items");
  }

  static String write(Object value) {
    if (value instanceof String s) {
      return s;
    }
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + value + " as JSON", e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
