package dev.strata.registry.deploy;

import dev.strata.api.Deployment;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.Node;
import dev.strata.api.NodeRollout;
import dev.strata.api.Revision;
import dev.strata.api.Target;
import dev.strata.control.DeploymentCounters;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.registry.fleet.FleetService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Puts each node's reported state next to what a deployment wants it to run. */
final class DeploymentStatuses {
  private DeploymentStatuses() {}

  static DeploymentStatus of(Deployment d, FleetService fleet) {
    List<NodeRollout> nodes = new ArrayList<>();
    int inSync = 0;
    int failed = 0;
    if (d.target() == Target.EDGE) {
      for (Node n : fleet.nodes(d.selector())) {
        Optional<Long> desired = d.revisionFor(n.id()).map(Revision::number);
        Optional<LoadedModel> actual =
            n.lastHeartbeat().stream()
                .flatMap(h -> h.models().stream())
                .filter(m -> m.deployment().equals(Optional.of(d.name())))
                .max(Comparator.comparingLong(LoadedModel::revision));
        Optional<DeploymentCounters> counters =
            n.lastHeartbeat().flatMap(h -> Optional.ofNullable(h.deployments().get(d.name())));
        boolean sync =
            desired.isPresent()
                && actual.isPresent()
                && actual.get().revision() == desired.get()
                && actual.get().state() == LoadState.READY;
        boolean fail = actual.isPresent() && actual.get().state() == LoadState.FAILED;
        inSync += sync ? 1 : 0;
        failed += fail ? 1 : 0;
        nodes.add(
            new NodeRollout(
                n.id(),
                n.name(),
                n.state(),
                desired,
                d.canaryNodes().contains(n.id()),
                actual,
                counters,
                sync));
      }
    }
    return new DeploymentStatus(d, nodes, inSync, failed, nodes.size() - inSync - failed);
  }
}
