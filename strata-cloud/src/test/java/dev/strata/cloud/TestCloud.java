package dev.strata.cloud;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.ModelSignature;
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

  /** The admin's calls through the one client, for set-up; {@link #admin} for the wire itself. */
  final CloudApiClient api;

  private TestCloud(Path dataDir, Optional<DatabaseConfig> database, CloudServer server) {
    this.dataDir = dataDir;
    this.database = database;
    this.server = server;
    this.admin = new Api(server.httpUri(), Optional.of(ADMIN_TOKEN));
    this.api = CloudApiClient.create(server.httpUri(), ADMIN_TOKEN);
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
    api.close();
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
    if (api.findModel(model).isEmpty()) {
      api.createModel(CreateModelRequest.of(model));
    }
    String sha = api.uploadArtifact(onnx).sha256();
    long v = api.createVersion(model, CreateVersionRequest.EMPTY).version();
    api.addVariant(
        model,
        v,
        new CreateVariantRequest(
            "fp32",
            "onnx",
            sha,
            ModelSignature.UNKNOWN,
            List.of("a", "b", "c"),
            Map.of("accuracy", 0.9),
            Map.of(),
            Map.of()));
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
      api.close();
      server.close();
    } finally {
      TestDb.drop(database);
    }
  }
}
