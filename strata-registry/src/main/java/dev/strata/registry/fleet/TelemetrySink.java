package dev.strata.registry.fleet;

import dev.strata.control.TelemetryRecord;
import java.util.List;

/**
 * Where the fleet puts the telemetry records a heartbeat carries. A heartbeat is answered 200 only
 * once its records are stored: the node forgets what a 200 acknowledges.
 */
@FunctionalInterface
public interface TelemetrySink {
  /**
   * Stores {@code records} of a node durably, ignoring those stored before; returns when they are.
   *
   * @param enrollment when the node's current credential was issued (epoch ms): sequences restart
   *     when a node is enrolled anew
   */
  void store(String nodeId, long enrollment, List<TelemetryRecord> records);
}
