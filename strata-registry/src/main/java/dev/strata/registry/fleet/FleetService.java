package dev.strata.registry.fleet;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.EnrollmentToken;
import dev.strata.api.FleetSummary;
import dev.strata.api.IssuedEnrollmentToken;
import dev.strata.api.Node;
import dev.strata.api.Selector;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.registry.auth.NodeCredentials;
import dev.strata.registry.auth.NodePrincipal;
import java.util.List;
import java.util.Map;

/**
 * Edge nodes: enrollment with one-time tokens, node credentials, labels, heartbeats and liveness.
 * Node identity, credentials and labels are durable when a call returns; the latest heartbeat per
 * node is kept in memory and written to the database in batches (see {@link #flush}).
 */
public interface FleetService extends NodeCredentials {
  IssuedEnrollmentToken createEnrollmentToken(CreateEnrollmentTokenRequest request);

  List<EnrollmentToken> enrollmentTokens();

  /** Deletes an unused or used token (a used one only from the list). */
  void deleteEnrollmentToken(String id);

  /**
   * Consumes a one-time token atomically and issues a node credential: UNAUTHENTICATED for an
   * unknown, used or expired token.
   */
  Enrollment enroll(EnrollRequest request);

  /**
   * Stores the telemetry records the heartbeat carries (durably, before returning), records the
   * heartbeat in memory and tells the listeners; returns the node's new view.
   */
  Node heartbeat(NodePrincipal node, Heartbeat heartbeat);

  Node node(String id);

  /** The node with this name, if enrolled. */
  Node nodeNamed(String name);

  /** The nodes whose labels match, ordered by name. */
  List<Node> nodes(Selector selector);

  /** Replaces a node's labels. */
  Node updateLabels(String id, Map<String, String> labels);

  /** Removes a node and revokes its credential. */
  void deleteNode(String id);

  /** Node counts by liveness. */
  FleetSummary summary();

  /**
   * A number that changes whenever the set of nodes or their labels change: caches of what depends
   * on labels compare it.
   */
  long membershipVersion();

  void addListener(HeartbeatListener listener);

  /** Writes the heartbeats received since the last flush to the database, in one transaction. */
  int flush();
}
