package dev.strata.registry.telemetry;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Json;
import dev.strata.control.Names;
import dev.strata.control.TelemetryRecord;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import dev.strata.registry.fleet.TelemetrySink;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the telemetry records of heartbeats with a group commit: a heartbeat queues its records
 * and waits until they are committed; whichever waiting heartbeat gets the commit lock first writes
 * everything queued so far in one transaction (one fsync for all), the others find theirs done. So
 * a heartbeat is answered only once its records are durable, and under load the cost per heartbeat
 * falls instead of each paying a transaction. A record stored before (same node, enrollment and
 * sequence) is skipped by the database ({@code ON CONFLICT DO NOTHING}).
 */
public final class TelemetryWriter implements TelemetrySink {
  private static final Logger LOG = LoggerFactory.getLogger(TelemetryWriter.class);
  private static final String INSERT =
      "INSERT INTO telemetry (node_id, enrollment, seq, deployment, revision, start_at, end_at,"
          + " requests, errors, escalations, fallbacks, latency, received_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (node_id, enrollment, seq) DO NOTHING";

  private final Database db;
  private final Clock clock;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock commit = new ReentrantLock();

  private record Pending(List<Object[]> rows, CompletableFuture<Void> done) {}

  public TelemetryWriter(Database db, Clock clock) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public void store(String nodeId, long enrollment, List<TelemetryRecord> records) {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(records, "records");
    List<Object[]> rows = rows(nodeId, enrollment, records);
    if (rows.isEmpty()) {
      return;
    }
    Pending mine = new Pending(rows, new CompletableFuture<>());
    queue.add(mine);
    commit.lock();
    try {
      // Not done: no earlier committer took it (a committer completes all it took before it
      // unlocks), so it is still queued and this thread commits it with whatever queued since.
      if (!mine.done().isDone()) {
        commitQueued();
      }
    } finally {
      commit.unlock();
    }
    try {
      mine.done().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      throw new StrataException(
          ErrorCode.UNAVAILABLE,
          "telemetry of node " + nodeId + " not stored (send it again): " + cause.getMessage(),
          cause);
    }
  }

  private void commitQueued() {
    List<Pending> batch = new ArrayList<>();
    for (Pending p = queue.poll(); p != null; p = queue.poll()) {
      batch.add(p);
    }
    List<Object[]> rows = new ArrayList<>();
    for (Pending p : batch) {
      rows.addAll(p.rows());
    }
    try {
      db.write(
          c -> {
            Sql.batch(c, INSERT, rows);
            return null;
          });
      batch.forEach(p -> p.done().complete(null));
    } catch (RuntimeException | Error e) {
      batch.forEach(p -> p.done().completeExceptionally(e));
    }
  }

  private List<Object[]> rows(String nodeId, long enrollment, List<TelemetryRecord> records) {
    long now = clock.instant().toEpochMilli();
    List<Object[]> rows = new ArrayList<>(records.size());
    for (TelemetryRecord r : records) {
      try {
        Names.requireName(r.deployment(), "telemetry deployment");
      } catch (StrataException e) {
        // Refusing the heartbeat would make the node send the record forever: drop it, say so.
        LOG.warn("node {}: telemetry record {} dropped: {}", nodeId, r.sequence(), e.getMessage());
        continue;
      }
      rows.add(
          new Object[] {
            nodeId,
            enrollment,
            r.sequence(),
            r.deployment(),
            r.revision(),
            r.start().toEpochMilli(),
            r.end().toEpochMilli(),
            r.requests(),
            r.errors(),
            r.escalations(),
            r.fallbacks(),
            Json.write(r.latency()),
            now
          });
    }
    return rows;
  }
}
