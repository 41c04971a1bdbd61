package dev.strata.cloud;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Sha256;
import dev.strata.onnx.ExampleModels;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.fleet.FleetSettings;
import dev.strata.registry.testing.TestDb;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** A cloud on loopback over a temporary data directory, with helpers to drive its API. */
final class TestCloud implements AutoCloseable {
  static final String ADMIN_TOKEN = "test-admin-token-0123456789";
  static final String INFER_BODY =
      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";

  final Path dataDir;
  final Optional<DatabaseConfig> database;
  final CloudServer server;
  final Api admin;

  private TestCloud(Path dataDir, Optional<DatabaseConfig> database, CloudServer server) {
    this.dataDir = dataDir;
    this.database = database;
    this.server = server;
    this.admin = new Api(server.httpUri(), Optional.of(ADMIN_TOKEN));
  }

  static CloudConfig.Builder config(Path dataDir, Optional<DatabaseConfig> database) {
    CloudConfig.Builder b =
        CloudConfig.builder(dataDir)
            .ports(0, 0)
            .adminToken(ADMIN_TOKEN)
            .ioThreads(2)
            .apiThreads(4)
            .maxRequestBytes(1 << 20)
            .drainTimeout(Duration.ofSeconds(10))
            .reconcileInterval(Duration.ofMillis(500))
            .fleet(
                new FleetSettings(
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(30),
                    Duration.ofMinutes(2),
                    Duration.ofSeconds(1),
                    Duration.ofHours(24)));
    database.ifPresent(b::database);
    return b;
  }

  static TestCloud start(Path dataDir, TestDb db) {
    return start(dataDir, db, UnaryOperator.identity());
  }

  static TestCloud start(Path dataDir, TestDb db, UnaryOperator<CloudConfig.Builder> tweak) {
    Optional<DatabaseConfig> database = db.cloudConfig();
    return new TestCloud(
        dataDir, database, CloudServer.start(tweak.apply(config(dataDir, database)).build()));
  }

  /** The same data and database, after a restart. */
  TestCloud restart(UnaryOperator<CloudConfig.Builder> tweak) {
    server.close();
    return new TestCloud(
        dataDir, database, CloudServer.start(tweak.apply(config(dataDir, database)).build()));
  }

  URI uri(String path) {
    return server.httpUri().resolve(path);
  }

  Api anonymous() {
    return new Api(server.httpUri(), Optional.empty());
  }

  /** The MLP {@code input[N,4] -> probabilities[N,3]}; seeds give versions different weights. */
  static byte[] mlp(long seed) {
    ModelProto m = ExampleModels.mlp(4, 8, 3, seed);
    return m.toByteArray();
  }

  /** Registers a model if needed, uploads {@code onnx} as a new version with variant fp32. */
  long publish(String model, byte[] onnx) {
    if (admin.get("/api/v1/models/" + model).status() == 404) {
      admin.expect(
          201,
          admin.post("/api/v1/models", Map.of("name", model, "description", "", "tags", Map.of())));
    }
    String sha = Sha256.hex(onnx);
    JsonNode artifact = admin.expect(201, admin.upload(onnx, Map.of("X-Strata-Sha256", sha)));
    JsonNode version =
        admin.expect(201, admin.post("/api/v1/models/" + model + "/versions", Map.of()));
    long v = version.get("version").asLong();
    admin.expect(
        201,
        admin.post(
            "/api/v1/models/" + model + "/versions/" + v + "/variants",
            Map.of(
                "name", "fp32",
                "format", "onnx",
                "sha256", artifact.get("sha256").asText(),
                "signature", Map.of("inputs", List.of(), "outputs", List.of()),
                "labels", List.of("a", "b", "c"),
                "metrics", Map.of("accuracy", 0.9),
                "provenance", Map.of(),
                "tags", Map.of())));
    return v;
  }

  /**
   * Deploys {@code model} version {@code v} (variant fp32) to the cloud as deployment {@code name}.
   */
  Api.Response deployToCloud(String name, String model, long v) {
    return admin.put(
        "/api/v1/deployments/" + name,
        Map.of(
            "model",
            model,
            "version",
            v,
            "variant",
            "fp32",
            "target",
            "CLOUD",
            "selector",
            "",
            "strategy",
            Map.of("type", "all-at-once"),
            "policy",
            Map.of("type", "edge-only"),
            "hardExamples",
            Map.of("enabled", false, "maxTotalBytes", 0, "maxSampleBytes", 0)));
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      TestDb.drop(database);
    }
  }
}
