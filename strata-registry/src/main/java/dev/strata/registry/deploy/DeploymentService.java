package dev.strata.registry.deploy;

import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.NodeView;
import dev.strata.api.Revision;
import dev.strata.control.DesiredState;
import java.util.List;

/**
 * Deployments (desired state), their revisions and rollouts, and what each node should run. Every
 * change is one transaction: a crash leaves a deployment at its previous revision or its new one,
 * never between.
 */
public interface DeploymentService {
  /**
   * Creates the deployment or rolls out a new revision of it. FAILED_PRECONDITION while a canary is
   * in progress (promote or roll it back first) or for an archived version; INVALID_ARGUMENT for a
   * different model or target than the deployment has; NOT_FOUND for an unknown variant.
   */
  Deployment apply(String name, DeploymentSpec spec);

  Deployment get(String name);

  List<Deployment> list();

  /** Every revision, newest first. */
  List<Revision> history(String name);

  /** Removes the deployment: its nodes stop running it. */
  void delete(String name);

  /** Makes the canary revision the stable one on every node. */
  Deployment promote(String name);

  /**
   * Takes back the canary if one is in progress, else returns every node to the previous revision.
   * FAILED_PRECONDITION when there is nothing to go back to.
   */
  Deployment rollback(String name, String reason);

  DeploymentStatus status(String name);

  /** What an edge node should run; NOT_FOUND for an unknown node. */
  DesiredState desiredStateFor(String nodeId);

  /** What the cloud itself should run. */
  DesiredState desiredStateForCloud();

  /** A node's actual state next to its desired state. */
  NodeView nodeView(String nodeId);
}
