package dev.strata.registry.deploy;

import dev.strata.api.Deployment;
import dev.strata.api.Node;
import dev.strata.api.Revision;
import dev.strata.api.RolloutStrategy;
import dev.strata.control.DeploymentCounters;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import dev.strata.registry.fleet.HeartbeatListener;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Judges canaries on every heartbeat of a canary node: a load failure of the canary revision, or an
 * error rate over the threshold once enough requests were served, rolls the canary back at once; a
 * run of healthy heartbeats from every canary node promotes it (when the strategy asks for
 * automatic promotion). Streaks live in memory: after a restart the canary must prove itself again.
 */
final class CanaryMonitor implements HeartbeatListener {
  private final JdbcDeploymentService service;

  /** "deployment#revision" to node id to healthy heartbeats in a row. */
  private final Map<String, Map<String, Integer>> streaks = new ConcurrentHashMap<>();

  CanaryMonitor(JdbcDeploymentService service) {
    this.service = service;
  }

  @Override
  public void onHeartbeat(Node node, Heartbeat hb) {
    for (JdbcDeploymentService.Live live : service.snapshot().deployments()) {
      Deployment d = live.deployment();
      if (d.canary().isEmpty() || !d.canaryNodes().contains(node.id())) {
        continue;
      }
      judge(d, d.canary().get(), node, hb);
    }
  }

  private void judge(Deployment d, Revision canary, Node node, Heartbeat hb) {
    if (!(canary.strategy() instanceof RolloutStrategy.Canary strategy)) {
      return;
    }
    Optional<LoadedModel> loaded =
        hb.models().stream()
            .filter(
                m ->
                    m.deployment().equals(Optional.of(d.name())) && m.revision() == canary.number())
            .findFirst();
    if (loaded.isPresent() && loaded.get().state() == LoadState.FAILED) {
      service.rollbackCanary(
          d.name(),
          canary.number(),
          String.format(
              "node %s failed to load revision %d: %s",
              node.name(), canary.number(), loaded.get().error().orElse("no reason given")));
      return;
    }
    DeploymentCounters counters = hb.deployments().get(d.name());
    if (counters != null
        && counters.revision() == canary.number()
        && counters.requests() >= strategy.minRequests()
        && counters.requests() > 0
        && counters.errorRate() > strategy.maxErrorRate()) {
      service.rollbackCanary(
          d.name(),
          canary.number(),
          String.format(
              "node %s error rate %.3f over %d requests (expected: <= %.3f)",
              node.name(), counters.errorRate(), counters.requests(), strategy.maxErrorRate()));
      return;
    }
    if (strategy.promoteAfterHeartbeats() == 0) {
      return;
    }
    boolean healthy =
        loaded.isPresent()
            && loaded.get().state() == LoadState.READY
            && hb.health() != Health.UNHEALTHY;
    Map<String, Integer> byNode =
        streaks.computeIfAbsent(key(d.name(), canary.number()), k -> new ConcurrentHashMap<>());
    byNode.merge(node.id(), healthy ? 1 : 0, (a, b) -> b == 0 ? 0 : a + b);
    int needed = strategy.promoteAfterHeartbeats();
    boolean allHealthy = true;
    for (String id : d.canaryNodes()) {
      if (byNode.getOrDefault(id, 0) < needed && enrolled(id)) {
        allHealthy = false;
        break;
      }
    }
    if (allHealthy) {
      service.promoteRevision(
          d.name(),
          canary.number(),
          String.format("canary healthy for %d heartbeats on every canary node", needed));
    }
  }

  private boolean enrolled(String nodeId) {
    try {
      service.fleet().node(nodeId);
      return true;
    } catch (RuntimeException e) {
      return false; // a canary node that left the fleet cannot hold the rollout back
    }
  }

  /** Forgets streaks of canaries that are over. */
  void retain(List<JdbcDeploymentService.Live> live) {
    Set<String> keep = new HashSet<>();
    for (JdbcDeploymentService.Live l : live) {
      l.deployment().canary().ifPresent(c -> keep.add(key(l.deployment().name(), c.number())));
    }
    streaks.keySet().retainAll(keep);
  }

  private static String key(String deployment, long revision) {
    return deployment + "#" + revision;
  }
}
