package dev.strata.control;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an edge node reports every heartbeat interval ({@code POST /api/v1/nodes/heartbeat}).
 *
 * @param agentVersion the edge agent's version
 * @param health the node's own health verdict
 * @param models the models it runs or is loading, with their state
 * @param queueDepth requests waiting in its inference queues
 * @param cpuPercent CPU use, 0-100
 * @param memoryUsedBytes memory in use
 * @param memoryTotalBytes memory available in total
 * @param deployments counters per deployment name
 * @param desiredStateEtag the ETag of the desired state the node has applied, if any
 * @param telemetry interval records not yet acknowledged, oldest first (at most {@link
 *     #MAX_TELEMETRY}); a node sends them again until a heartbeat carrying them succeeds. Absent in
 *     JSON from older nodes, which reads as empty
 */
public record Heartbeat(
    String agentVersion,
    Health health,
    List<LoadedModel> models,
    int queueDepth,
    double cpuPercent,
    long memoryUsedBytes,
    long memoryTotalBytes,
    Map<String, DeploymentCounters> deployments,
    Optional<String> desiredStateEtag,
    List<TelemetryRecord> telemetry) {
  /** Bounds that keep one node's state small in memory and in the database. */
  public static final int MAX_MODELS = 256;

  /** The most telemetry records one heartbeat carries. */
  public static final int MAX_TELEMETRY = 256;

  public Heartbeat {
    requireNonNull(agentVersion, "agentVersion");
    requireNonNull(health, "health");
    models = List.copyOf(models);
    deployments = Map.copyOf(deployments);
    requireNonNull(desiredStateEtag, "desiredStateEtag");
    // null: JSON from a node that predates the field
    telemetry = telemetry == null ? List.of() : List.copyOf(telemetry);
    if (telemetry.size() > MAX_TELEMETRY) {
      throw StrataException.invalid(
          "heartbeat: %d telemetry records (expected: <= %d)", telemetry.size(), MAX_TELEMETRY);
    }
    if (agentVersion.length() > 64) {
      throw StrataException.invalid(
          "agentVersion: %d characters (expected: <= 64)", agentVersion.length());
    }
    if (models.size() > MAX_MODELS || deployments.size() > MAX_MODELS) {
      throw StrataException.invalid(
          "heartbeat: %d models, %d deployments (expected: <= %d each)",
          models.size(), deployments.size(), MAX_MODELS);
    }
    if (queueDepth < 0) {
      throw StrataException.invalid("queueDepth: %d (expected: >= 0)", queueDepth);
    }
    if (!(cpuPercent >= 0 && cpuPercent <= 100)) {
      throw StrataException.invalid("cpuPercent: %s (expected: 0-100)", cpuPercent);
    }
    if (memoryUsedBytes < 0 || memoryTotalBytes < 0) {
      throw StrataException.invalid(
          "memory: used %d of %d bytes (expected: >= 0)", memoryUsedBytes, memoryTotalBytes);
    }
  }

  /** A heartbeat without telemetry records. */
  public Heartbeat(
      String agentVersion,
      Health health,
      List<LoadedModel> models,
      int queueDepth,
      double cpuPercent,
      long memoryUsedBytes,
      long memoryTotalBytes,
      Map<String, DeploymentCounters> deployments,
      Optional<String> desiredStateEtag) {
    this(
        agentVersion,
        health,
        models,
        queueDepth,
        cpuPercent,
        memoryUsedBytes,
        memoryTotalBytes,
        deployments,
        desiredStateEtag,
        List.of());
  }

  /** A minimal healthy heartbeat, for tests and agents that report nothing else. */
  public static Heartbeat healthy(String agentVersion) {
    return new Heartbeat(
        agentVersion, Health.HEALTHY, List.of(), 0, 0, 0, 0, Map.of(), Optional.empty());
  }
}
