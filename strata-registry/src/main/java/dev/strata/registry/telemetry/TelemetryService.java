package dev.strata.registry.telemetry;

import dev.strata.api.DeploymentTelemetry;
import dev.strata.api.StoredTelemetry;
import dev.strata.api.TelemetryQuery;
import dev.strata.api.TelemetryWindow;
import java.util.List;

/** The telemetry edge nodes reported, as management reads it. */
public interface TelemetryService {
  /** A node's records ending in the query's window, oldest first; NOT_FOUND for an unknown node. */
  List<StoredTelemetry> records(String nodeId, TelemetryQuery query);

  /**
   * A deployment's records ending in {@code window}, summed per node and in total. NOT_FOUND when
   * there is no such deployment and no telemetry of one by that name (a deployment removed since
   * still answers while its records are kept).
   */
  DeploymentTelemetry deployment(String name, TelemetryWindow window);

  /** Deletes the records received before the retention period; returns how many. */
  int prune();
}
