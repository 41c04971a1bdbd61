package dev.strata.registry;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Sample;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.HeartbeatResponse;
import dev.strata.control.SampleUpload;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.fleet.FleetService;
import dev.strata.registry.fleet.FleetSettings;
import dev.strata.registry.model.ModelRegistry;
import dev.strata.registry.samples.SampleStore;
import java.io.InputStream;
import java.util.Optional;

/**
 * What edge nodes call ({@code /api/v1/nodes/...}): enroll, heartbeat, poll desired state, fetch
 * artifacts, upload hard examples. Every call but {@link #enroll} takes the node authenticated by
 * its credential; a node reads only artifacts its desired state names.
 */
public final class NodeApi {
  private final FleetService fleet;
  private final DeploymentService deployments;
  private final ModelRegistry models;
  private final SampleStore samples;
  private final FleetSettings settings;

  NodeApi(
      FleetService fleet,
      DeploymentService deployments,
      ModelRegistry models,
      SampleStore samples,
      FleetSettings settings) {
    this.fleet = fleet;
    this.deployments = deployments;
    this.models = models;
    this.samples = samples;
    this.settings = settings;
  }

  public Enrollment enroll(EnrollRequest request) {
    return fleet.enroll(request);
  }

  public HeartbeatResponse heartbeat(NodePrincipal node, Heartbeat heartbeat) {
    fleet.heartbeat(node, heartbeat);
    return new HeartbeatResponse(
        deployments.desiredStateFor(node.id()).etag(), settings.heartbeatInterval());
  }

  /** The node's desired state; empty when it equals {@code ifNoneMatch} (answer 304). */
  public Optional<DesiredState> desiredState(NodePrincipal node, Optional<String> ifNoneMatch) {
    requireNonNull(ifNoneMatch, "ifNoneMatch");
    DesiredState state = deployments.desiredStateFor(node.id());
    return ifNoneMatch.filter(state.etag()::equals).isPresent()
        ? Optional.empty()
        : Optional.of(state);
  }

  /** A byte range of an artifact the node's desired state names; PERMISSION_DENIED for others. */
  public ArtifactContent artifact(NodePrincipal node, String sha256, long offset, long length) {
    DesiredState state = deployments.desiredStateFor(node.id());
    if (state.models().stream().noneMatch(m -> m.sha256().equals(sha256))) {
      throw new StrataException(
          ErrorCode.PERMISSION_DENIED,
          "artifact " + sha256 + ": not in the desired state of node " + node.name());
    }
    return models.openArtifact(sha256, offset, length);
  }

  public Sample uploadSample(NodePrincipal node, SampleUpload upload, InputStream input) {
    return samples.upload(node, upload, input);
  }
}
