package dev.strata.registry.telemetry;

import static java.util.Objects.requireNonNull;

import dev.strata.api.DeploymentTelemetry;
import dev.strata.api.NodeTelemetry;
import dev.strata.api.StoredTelemetry;
import dev.strata.api.TelemetryQuery;
import dev.strata.api.TelemetrySummary;
import dev.strata.api.TelemetryWindow;
import dev.strata.control.Json;
import dev.strata.control.LatencyHistogram;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.fleet.FleetService;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link TelemetryService} over the registry database's {@code telemetry} table. */
public final class JdbcTelemetryService implements TelemetryService {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcTelemetryService.class);

  /** Rows deleted per transaction when pruning, so writers never wait long behind it. */
  static final int PRUNE_CHUNK = 5_000;

  private final Database db;
  private final Clock clock;
  private final TelemetrySettings settings;
  private final FleetService fleet;
  private final DeploymentService deployments;

  public JdbcTelemetryService(
      Database db,
      Clock clock,
      TelemetrySettings settings,
      FleetService fleet,
      DeploymentService deployments) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
    this.settings = requireNonNull(settings, "settings");
    this.fleet = requireNonNull(fleet, "fleet");
    this.deployments = requireNonNull(deployments, "deployments");
  }

  @Override
  public List<StoredTelemetry> records(String nodeId, TelemetryQuery query) {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(query, "query");
    fleet.node(nodeId); // NOT_FOUND for an unknown node
    Instant from = query.window().start(clock);
    StringBuilder sql =
        new StringBuilder("SELECT * FROM telemetry WHERE node_id = ? AND end_at >= ?");
    List<Object> args = new ArrayList<>(List.of(nodeId, from.toEpochMilli()));
    query
        .window()
        .to()
        .ifPresent(
            to -> {
              sql.append(" AND end_at < ?");
              args.add(to.toEpochMilli());
            });
    query
        .deployment()
        .ifPresent(
            d -> {
              sql.append(" AND deployment = ?");
              args.add(d);
            });
    sql.append(" ORDER BY end_at, enrollment, seq LIMIT ?");
    args.add(query.limit());
    return db.read(
        c -> Sql.query(c, sql.toString(), JdbcTelemetryService::mapRecord, args.toArray()));
  }

  @Override
  public DeploymentTelemetry deployment(String name, TelemetryWindow window) {
    requireNonNull(name, "name");
    requireNonNull(window, "window");
    Instant from = window.start(clock);
    long fromMs = from.toEpochMilli();
    long toMs = window.to().map(Instant::toEpochMilli).orElse(Long.MAX_VALUE);
    Map<String, Totals> perNode = new TreeMap<>();
    Map<String, Long> lost =
        db.read(
            c -> {
              Sql.query(
                  c,
                  "SELECT node_id, requests, errors, escalations, fallbacks, latency"
                      + " FROM telemetry WHERE deployment = ? AND end_at >= ? AND end_at < ?",
                  rs -> {
                    perNode
                        .computeIfAbsent(rs.getString("node_id"), k -> new Totals())
                        .add(
                            rs.getLong("requests"),
                            rs.getLong("errors"),
                            rs.getLong("escalations"),
                            rs.getLong("fallbacks"),
                            Json.read(rs.getString("latency"), LatencyHistogram.class));
                    return null;
                  },
                  name,
                  fromMs,
                  toMs);
              return perNode.isEmpty() ? Map.of() : lost(c, name, fromMs, toMs);
            });
    if (perNode.isEmpty() && !deploymentExists(name)) {
      throw StrataException.notFound("deployment %s: not found", name);
    }
    Totals total = new Totals();
    List<NodeTelemetry> nodes = new ArrayList<>(perNode.size());
    long lostTotal = 0;
    for (Map.Entry<String, Totals> e : perNode.entrySet()) {
      long l = lost.getOrDefault(e.getKey(), 0L);
      lostTotal += l;
      total.add(e.getValue());
      nodes.add(new NodeTelemetry(e.getKey(), nodeName(e.getKey()), e.getValue().summary(l)));
    }
    return new DeploymentTelemetry(name, from, window.to(), total.summary(lostTotal), nodes);
  }

  /**
   * Per node with records of the deployment in the window: the numbers missing between the first
   * and last of its sequence there (records of every deployment, per enrollment).
   */
  private static Map<String, Long> lost(Connection c, String deployment, long fromMs, long toMs)
      throws SQLException {
    Map<String, Long> lost = new HashMap<>();
    Sql.query(
        c,
        "SELECT node_id, MIN(seq) AS lo, MAX(seq) AS hi, COUNT(*) AS n FROM telemetry"
            + " WHERE end_at >= ? AND end_at < ? AND node_id IN (SELECT DISTINCT node_id FROM"
            + " telemetry WHERE deployment = ? AND end_at >= ? AND end_at < ?)"
            + " GROUP BY node_id, enrollment",
        rs -> {
          long missing = rs.getLong("hi") - rs.getLong("lo") + 1 - rs.getLong("n");
          lost.merge(rs.getString("node_id"), missing, Long::sum);
          return null;
        },
        fromMs,
        toMs,
        deployment,
        fromMs,
        toMs);
    return lost;
  }

  private Optional<String> nodeName(String id) {
    try {
      return Optional.of(fleet.node(id).name());
    } catch (StrataException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private boolean deploymentExists(String name) {
    try {
      deployments.get(name);
      return true;
    } catch (StrataException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return db.read(
            c ->
                Sql.queryOne(
                        c, "SELECT 1 FROM telemetry WHERE deployment = ? LIMIT 1", rs -> true, name)
                    .isPresent());
      }
      throw e;
    }
  }

  @Override
  public int prune() {
    long cutoff = clock.instant().minus(settings.retention()).toEpochMilli();
    int deleted = 0;
    while (true) {
      int n =
          db.write(
              c -> {
                List<Object[]> keys =
                    Sql.query(
                        c,
                        "SELECT node_id, enrollment, seq FROM telemetry WHERE received_at < ?"
                            + " ORDER BY received_at LIMIT ?",
                        rs ->
                            new Object[] {
                              rs.getString("node_id"), rs.getLong("enrollment"), rs.getLong("seq")
                            },
                        cutoff,
                        PRUNE_CHUNK);
                Sql.batch(
                    c,
                    "DELETE FROM telemetry WHERE node_id = ? AND enrollment = ? AND seq = ?",
                    keys);
                return keys.size();
              });
      deleted += n;
      if (n < PRUNE_CHUNK) {
        break;
      }
    }
    if (deleted > 0) {
      LOG.info(
          "telemetry: deleted {} record(s) received more than {} ago",
          deleted,
          settings.retention());
    }
    return deleted;
  }

  private static StoredTelemetry mapRecord(ResultSet rs) throws SQLException {
    return new StoredTelemetry(
        rs.getString("node_id"),
        rs.getLong("seq"),
        rs.getString("deployment"),
        rs.getLong("revision"),
        Instant.ofEpochMilli(rs.getLong("start_at")),
        Instant.ofEpochMilli(rs.getLong("end_at")),
        rs.getLong("requests"),
        rs.getLong("errors"),
        rs.getLong("escalations"),
        rs.getLong("fallbacks"),
        Json.read(rs.getString("latency"), LatencyHistogram.class),
        Instant.ofEpochMilli(rs.getLong("received_at")));
  }

  /** Counters and latencies summed over records. */
  private static final class Totals {
    long records;
    long requests;
    long errors;
    long escalations;
    long fallbacks;
    final LatencyMerge latency = new LatencyMerge();

    void add(long req, long err, long esc, long fb, LatencyHistogram h) {
      records++;
      requests += req;
      errors += err;
      escalations += esc;
      fallbacks += fb;
      latency.add(h);
    }

    void add(Totals t) {
      records += t.records;
      requests += t.requests;
      errors += t.errors;
      escalations += t.escalations;
      fallbacks += t.fallbacks;
      latency.add(t.latency);
    }

    TelemetrySummary summary(long lost) {
      return new TelemetrySummary(
          records,
          requests,
          errors,
          escalations,
          fallbacks,
          requests == 0 ? 0 : (double) errors / requests,
          requests == 0 ? 0 : (double) escalations / requests,
          latency.summary(),
          lost);
    }
  }
}
