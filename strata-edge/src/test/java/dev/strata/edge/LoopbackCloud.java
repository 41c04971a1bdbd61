package dev.strata.edge;

import static org.awaitility.Awaitility.await;

import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.ModelVersion;
import dev.strata.api.Variant;
import dev.strata.cloud.CloudConfig;
import dev.strata.cloud.CloudServer;
import dev.strata.control.DesiredState;
import dev.strata.control.Heartbeat;
import dev.strata.registry.fleet.FleetSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * The real cloud for the edge's tests: a {@link CloudServer} on loopback over SQLite in a temporary
 * directory, driven through its API with the one client, and reached by the agents through a {@link
 * CloudLink} that can go down and come back, and can tamper with what the cloud sends. Heartbeats
 * are observed as the cloud receives them.
 */
final class LoopbackCloud implements AutoCloseable {
  private static final String ADMIN_TOKEN = "edge-tests-admin-token-0123456789";

  private final CloudServer server;
  private final CloudLink link;

  /** The management API, with the admin token. */
  final CloudApiClient api;

  /** Every heartbeat the cloud received, in order. */
  final List<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();

  private LoopbackCloud(CloudServer server) {
    this.server = server;
    this.api = CloudApiClient.create(server.httpUri(), ADMIN_TOKEN);
    this.link = CloudLink.to(server.httpUri());
    server.registry().fleet().addListener((node, hb) -> heartbeats.add(hb));
  }

  /**
   * Starts a cloud over {@code dir} that serves these models itself (cloud deployments of their own
   * name), and returns once they serve.
   */
  static LoopbackCloud start(Path dir, Map<String, byte[]> cloudModels) {
    CloudServer server =
        CloudServer.start(
            CloudConfig.builder(dir)
                .ports(0, -1)
                .adminToken(ADMIN_TOKEN)
                .ioThreads(2)
                .apiThreads(4)
                .drainTimeout(Duration.ofSeconds(2))
                .reconcileInterval(Duration.ofMillis(200))
                .fleet(
                    new FleetSettings(
                        Duration.ofMillis(100),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(1),
                        Duration.ofHours(1)))
                .build());
    LoopbackCloud cloud;
    try {
      cloud = new LoopbackCloud(server);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    try {
      cloudModels.forEach(
          (model, onnx) -> {
            Variant v = cloud.publish(model, "fp32", onnx);
            cloud.deploy(model, DeploymentSpec.cloud(model, v.version(), "fp32"));
          });
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              cloud.api::cloudStatus, s -> s.inSync() && s.models().size() == cloudModels.size());
      return cloud;
    } catch (RuntimeException | Error e) {
      cloud.close();
      throw e;
    }
  }

  /** Where agents reach the cloud: through the link. */
  URI url() {
    return link.url();
  }

  /** The link goes down: connections are refused; the cloud itself keeps running. */
  void stop() {
    link.stop();
  }

  /** The link comes back on the same port. */
  void restart() {
    link.restart();
  }

  /** From now on, artifact bytes reach the edge changed by {@code change}. */
  void tamperArtifacts(UnaryOperator<byte[]> change) {
    link.artifactFilter = change;
  }

  /** From now on, desired states reach the edge changed by {@code change}. */
  void tamperDesiredStates(UnaryOperator<DesiredState> change) {
    link.desiredStateFilter = change;
  }

  /** Every artifact download the edge asked for, in order. */
  List<String> artifactRequests() {
    return link.artifactRequests;
  }

  /** The cloud's manifest-signing key (base64 X.509). */
  String signingKey() {
    return api.signingKey().publicKey();
  }

  String enrollmentToken(Map<String, String> labels) {
    return api.createEnrollmentToken(CreateEnrollmentTokenRequest.withLabels(labels)).token();
  }

  /** Registers a new version of {@code model} with one variant of these bytes. */
  Variant publish(String model, String variant, byte[] onnx) {
    if (api.findModel(model).isEmpty()) {
      api.createModel(CreateModelRequest.of(model));
    }
    String sha = api.uploadArtifact(onnx).sha256();
    ModelVersion v = api.createVersion(model, CreateVersionRequest.EMPTY);
    return api.addVariant(model, v.version(), CreateVariantRequest.onnx(variant, sha));
  }

  /** Registers a new version of {@code model} with one variant of these bytes in {@code format}. */
  Variant publish(String model, String variant, byte[] bytes, String format) {
    if (api.findModel(model).isEmpty()) {
      api.createModel(CreateModelRequest.of(model));
    }
    String sha = api.uploadArtifact(bytes).sha256();
    ModelVersion v = api.createVersion(model, CreateVersionRequest.EMPTY);
    return api.addVariant(
        model,
        v.version(),
        new CreateVariantRequest(
            variant,
            format,
            sha,
            dev.strata.api.ModelSignature.UNKNOWN,
            List.of(),
            Map.of(),
            Map.of(),
            Map.of()));
  }

  Deployment deploy(String name, DeploymentSpec spec) {
    return api.applyDeployment(name, spec);
  }

  @Override
  public void close() {
    api.close();
    link.close();
    server.close();
  }
}
