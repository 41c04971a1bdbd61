package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.LoadState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the cloud serves next to what its deployments ask for ({@code GET /api/v1/cloud/status}).
 *
 * @param desiredEtag the ETag of the cloud's desired state now
 * @param appliedEtag the ETag of the desired state last applied to the model repository
 * @param lastReconcileAt when the deployer last compared the two
 * @param models one entry per model version a cloud deployment asks for
 */
public record CloudStatus(
    String desiredEtag,
    String appliedEtag,
    Optional<Instant> lastReconcileAt,
    List<CloudStatus.Model> models) {
  public CloudStatus {
    requireNonNull(desiredEtag, "desiredEtag");
    requireNonNull(appliedEtag, "appliedEtag");
    requireNonNull(lastReconcileAt, "lastReconcileAt");
    models = List.copyOf(models);
  }

  /** Whether every desired model version serves. */
  public boolean inSync() {
    return desiredEtag.equals(appliedEtag)
        && models.stream().allMatch(m -> m.state() == LoadState.READY);
  }

  /**
   * One deployed model version on the cloud.
   *
   * @param deployment the deployment asking for it
   * @param revision the deployment revision
   * @param model the model name, as served under {@code /v2/models/{model}}
   * @param version the model version
   * @param variant the variant
   * @param sha256 the artifact
   * @param state DOWNLOADING while the artifact is copied into the repository, LOADING while the
   *     runtime loads it, READY when it serves, FAILED with {@code error}
   * @param error why it failed
   */
  public record Model(
      String deployment,
      long revision,
      String model,
      long version,
      String variant,
      String sha256,
      LoadState state,
      Optional<String> error) {
    public Model {
      requireNonNull(deployment, "deployment");
      requireNonNull(model, "model");
      requireNonNull(variant, "variant");
      requireNonNull(sha256, "sha256");
      requireNonNull(state, "state");
      requireNonNull(error, "error");
    }
  }
}
