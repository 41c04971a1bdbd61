package dev.strata.it;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Artifact;
import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.ModelSignature;
import dev.strata.api.Node;
import dev.strata.api.Revision;
import dev.strata.api.TensorSignature;
import dev.strata.control.Sha256;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The calls the tests make on the cloud's API ({@code /api/v1}, docs/api.md), through strata-api's
 * {@link CloudApiClient}: what an operator's tool sends, with the admin token. Failures are the
 * client's {@code StrataException}s with the cloud's code and message.
 */
final class ManagementClient {
  private final CloudApiClient api;

  ManagementClient(CloudApiClient api) {
    this.api = requireNonNull(api, "api");
  }

  /** The client itself, for the calls without a helper here. */
  CloudApiClient api() {
    return api;
  }

  /** Uploads an artifact announcing its digest ({@code X-Strata-Sha256}); returns the digest. */
  String upload(byte[] bytes) {
    String sha = sha256(bytes);
    Artifact artifact = api.uploadArtifact(bytes);
    if (!artifact.sha256().equals(sha)) {
      throw new AssertionError("uploaded " + sha + " but the cloud stored " + artifact);
    }
    return sha;
  }

  /**
   * Registers {@code model} when it is new, uploads {@code onnx} and makes it the model's next
   * version with one variant {@code fp32}; returns the version number.
   */
  long publish(String model, byte[] onnx) {
    if (api.findModel(model).isEmpty()) {
      api.createModel(new CreateModelRequest(model, "end-to-end test model", Map.of()));
    }
    String sha = upload(onnx);
    long version = api.createVersion(model, CreateVersionRequest.EMPTY).version();
    ModelSignature signature =
        new ModelSignature(
            List.of(new TensorSignature("input", "FP32", List.of(-1L, 4L))),
            List.of(new TensorSignature("probabilities", "FP32", List.of(-1L, 3L))));
    api.addVariant(
        model,
        version,
        new CreateVariantRequest(
            "fp32", "onnx", sha, signature, List.of("a", "b", "c"), Map.of(), Map.of(), Map.of()));
    return version;
  }

  /** A one-time enrollment token whose labels the node gets. */
  String enrollmentToken(Map<String, String> labels) {
    return api.createEnrollmentToken(
            new CreateEnrollmentTokenRequest(
                "end-to-end test", labels, Optional.of(Duration.ofHours(1))))
        .token();
  }

  /** The cloud's manifest-signing public key (base64 X.509), as edges pin it. */
  String signingKey() {
    return api.signingKey().publicKey();
  }

  /** {@code PUT /api/v1/deployments/{name}}: the deployment after the change. */
  Deployment apply(String deployment, Spec spec) {
    return api.applyDeployment(deployment, spec.spec());
  }

  /** {@code POST /api/v1/deployments/{name}:rollback}: aborts a canary, else goes back one. */
  Deployment rollback(String deployment, String reason) {
    return api.rollback(deployment, Optional.of(reason));
  }

  Deployment deployment(String name) {
    return api.deployment(name);
  }

  /** The deployment's revisions, newest first. */
  List<Revision> revisions(String name) {
    return api.revisions(name);
  }

  DeploymentStatus status(String name) {
    return api.deploymentStatus(name);
  }

  List<Node> nodes() {
    return api.nodes();
  }

  static String sha256(byte[] bytes) {
    return Sha256.hex(bytes);
  }
}
