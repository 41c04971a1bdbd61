package dev.strata.bench.fleet;

import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Selector;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.HeartbeatResponse;
import dev.strata.control.InferencePolicy;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * The cloud's API as the benchmark uses it, through strata-api's client: admin set-up calls and the
 * agents' three calls, each agent with its own credential over the shared connections.
 */
final class ControlPlane {
  private final CloudApiClient cloud;
  private final CloudApiClient admin;

  /**
   * @param cloud a client without a token (enrollment is public)
   */
  ControlPlane(CloudApiClient cloud, String adminToken) {
    this.cloud = cloud;
    this.admin = cloud.withToken(adminToken);
  }

  /**
   * An edge deployment every agent matches, so that desired states carry a signed manifest as in
   * production: a model with one version whose variant is a small random artifact.
   */
  void deployToEveryAgent(String deployment, String model) {
    byte[] artifact = new byte[64 * 1024];
    new Random(42).nextBytes(artifact);
    if (admin.findModel(model).isEmpty()) {
      admin.createModel(CreateModelRequest.of(model));
    }
    String sha = admin.uploadArtifact(artifact).sha256();
    long version = admin.createVersion(model, CreateVersionRequest.EMPTY).version();
    admin.addVariant(model, version, CreateVariantRequest.onnx("int8", sha));
    admin.applyDeployment(
        deployment,
        DeploymentSpec.edge(model, version, "int8", Selector.parse("fleet=bench"))
            .withPolicy(
                new InferencePolicy.Cascade(
                    ConfidenceMeasure.MAX_PROBABILITY, 0.6, Optional.empty())));
  }

  /** A token for the node named {@code node}: it enrolls it, or re-enrolls it on a rerun. */
  String enrollmentToken(String node) {
    return admin
        .createEnrollmentToken(
            new CreateEnrollmentTokenRequest(
                "fleet benchmark", Map.of("fleet", "bench"), Optional.empty(), Optional.of(node)))
        .token();
  }

  CompletableFuture<Enrollment> enroll(String token, String name) {
    return cloud.enrollAsync(new EnrollRequest(token, name, Map.of("sim", "true")));
  }

  CompletableFuture<HeartbeatResponse> heartbeat(String credential, Heartbeat heartbeat) {
    return cloud.withToken(credential).heartbeatAsync(heartbeat);
  }

  /** The desired state, or empty when it is still the one of {@code etag} (304). */
  CompletableFuture<Optional<DesiredState>> desiredState(String credential, String etag) {
    return cloud
        .withToken(credential)
        .desiredStateAsync(etag.isEmpty() ? Optional.empty() : Optional.of(etag));
  }
}
