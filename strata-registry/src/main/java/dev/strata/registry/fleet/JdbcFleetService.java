package dev.strata.registry.fleet;

import static java.util.Objects.requireNonNull;

import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.EnrollmentToken;
import dev.strata.api.FleetSummary;
import dev.strata.api.IssuedEnrollmentToken;
import dev.strata.api.Node;
import dev.strata.api.NodeState;
import dev.strata.api.Selector;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.Json;
import dev.strata.control.Names;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.auth.Authenticator;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.auth.Secrets;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link FleetService} over the registry database.
 *
 * <p>Heartbeats are the hot path (5,000 nodes at one per 10 s is 500 per second): authenticating
 * one is a map lookup and a SHA-256, recording it is a map put. Writing each to the database in its
 * own durable transaction would cost an fsync per heartbeat, so the latest heartbeat of each node
 * is kept in memory and {@link #flush} writes the changed ones in one batch transaction (called
 * every few seconds by the registry). A crash loses at most that window of liveness data, which the
 * next heartbeats restore; identities, credentials and labels are written through. Telemetry
 * records are the exception: a node drops what a 200 acknowledges, so a heartbeat carrying records
 * returns only once its {@link TelemetrySink} has stored them (heartbeats without records cost no
 * database work). The heartbeat kept as the node's status leaves its records out.
 */
public final class JdbcFleetService implements FleetService {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcFleetService.class);
  private static final String TOKEN_PREFIX = "ste";
  private static final int FLUSH_CHUNK = 500;

  private final Database db;
  private final Secrets secrets;
  private final Clock clock;
  private final FleetSettings settings;
  private final String manifestPublicKey;
  private final TelemetrySink telemetry;
  private final Map<String, Identity> identities = new ConcurrentHashMap<>();
  private final Map<String, Beat> beats = new ConcurrentHashMap<>();
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private final AtomicLong membership = new AtomicLong();
  private final List<HeartbeatListener> listeners = new CopyOnWriteArrayList<>();

  private record Identity(
      String id,
      String name,
      Map<String, String> labels,
      String credentialHash,
      Instant enrolledAt) {}

  private record Beat(Instant at, Heartbeat heartbeat) {}

  public JdbcFleetService(
      Database db,
      Secrets secrets,
      Clock clock,
      FleetSettings settings,
      String manifestPublicKey,
      TelemetrySink telemetry) {
    this.db = requireNonNull(db, "db");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
    this.settings = requireNonNull(settings, "settings");
    this.manifestPublicKey = requireNonNull(manifestPublicKey, "manifestPublicKey");
    this.telemetry = requireNonNull(telemetry, "telemetry");
    load();
  }

  private void load() {
    db.read(
        c -> {
          Sql.query(
              c,
              "SELECT * FROM nodes",
              rs -> {
                Identity id = mapIdentity(rs);
                identities.put(id.id(), id);
                Optional<Long> at = Sql.optionalLong(rs, "last_heartbeat_at");
                String status = rs.getString("last_status");
                if (at.isPresent() && status != null) {
                  beats.put(
                      id.id(),
                      new Beat(Instant.ofEpochMilli(at.get()), Json.read(status, Heartbeat.class)));
                }
                return id;
              });
          return null;
        });
    LOG.info("fleet: {} enrolled node(s)", identities.size());
  }

  // ---- enrollment

  @Override
  public IssuedEnrollmentToken createEnrollmentToken(CreateEnrollmentTokenRequest r) {
    requireNonNull(r, "request");
    String id = secrets.newId();
    String secret = secrets.newSecret();
    Instant now = clock.instant();
    Instant expires = now.plus(r.ttl().orElse(settings.enrollmentTokenTtl()));
    EnrollmentToken info =
        db.write(
            c -> {
              Sql.update(
                  c,
                  "INSERT INTO enrollment_tokens (id, secret_hash, description, labels, created_at,"
                      + " expires_at, used_at, node_id, node_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                      + " ?)",
                  id,
                  Secrets.hash(secret),
                  r.description(),
                  Json.write(r.labels()),
                  now.toEpochMilli(),
                  expires.toEpochMilli(),
                  Sql.NULL_BIGINT,
                  Sql.NULL_TEXT,
                  Sql.text(r.node()));
              return findToken(c, id).orElseThrow();
            });
    return new IssuedEnrollmentToken(info, Secrets.format(TOKEN_PREFIX, id, secret));
  }

  @Override
  public List<EnrollmentToken> enrollmentTokens() {
    return db.read(
        c ->
            Sql.query(
                c,
                "SELECT * FROM enrollment_tokens ORDER BY created_at, id",
                JdbcFleetService::mapToken));
  }

  @Override
  public void deleteEnrollmentToken(String id) {
    int n = db.write(c -> Sql.update(c, "DELETE FROM enrollment_tokens WHERE id = ?", id));
    if (n == 0) {
      throw StrataException.notFound("enrollment token %s: not found", id);
    }
  }

  @Override
  public Enrollment enroll(EnrollRequest r) {
    requireNonNull(r, "request");
    Secrets.Token t =
        Secrets.parse(r.token(), TOKEN_PREFIX)
            .orElseThrow(
                () -> unauthenticated("enrollment token: malformed (expected: ste_<id>.<secret>)"));
    Instant now = clock.instant();
    String credentialSecret = secrets.newSecret();
    String newId = "n" + secrets.newId();
    Identity identity =
        db.write(
            c -> {
              Optional<TokenRow> row =
                  Sql.queryOne(
                      c,
                      "SELECT * FROM enrollment_tokens WHERE id = ?",
                      rs -> new TokenRow(mapToken(rs), rs.getString("secret_hash")),
                      t.id());
              if (row.isEmpty() || !Secrets.matches(t.secret(), row.get().hash())) {
                throw unauthenticated("enrollment token " + t.id() + ": unknown");
              }
              EnrollmentToken token = row.get().token();
              if (token.usedAt().isPresent()) {
                throw unauthenticated("enrollment token " + t.id() + ": already used");
              }
              if (!now.isBefore(token.expiresAt())) {
                throw unauthenticated(
                    "enrollment token " + t.id() + ": expired at " + token.expiresAt());
              }
              if (token.node().isPresent() && !token.node().get().equals(r.name())) {
                throw new StrataException(
                    ErrorCode.PERMISSION_DENIED,
                    String.format(
                        "enrollment token %s: issued for node %s (expected: name %s, not %s)",
                        t.id(), token.node().get(), token.node().get(), r.name()));
              }
              Map<String, String> labels = new HashMap<>(r.labels());
              labels.putAll(token.labels());
              Optional<Identity> existing =
                  Sql.queryOne(
                      c,
                      "SELECT * FROM nodes WHERE name = ?",
                      JdbcFleetService::mapIdentity,
                      r.name());
              if (existing.isPresent() && token.node().isEmpty()) {
                // A spare token must not take over an enrolled node's identity and credential.
                throw new StrataException(
                    ErrorCode.ALREADY_EXISTS,
                    String.format(
                        "node %s: already enrolled (expected: an enrollment token issued for this"
                            + " node, {\"node\": \"%s\"}, to replace its credential)",
                        r.name(), r.name()));
              }
              String nodeId = existing.map(Identity::id).orElse(newId);
              // Consume first: of two enrollments racing on one token exactly one updates the row.
              int consumed =
                  Sql.update(
                      c,
                      "UPDATE enrollment_tokens SET used_at = ?, node_id = ?"
                          + " WHERE id = ? AND used_at IS NULL",
                      now.toEpochMilli(),
                      nodeId,
                      t.id());
              if (consumed != 1) {
                throw unauthenticated("enrollment token " + t.id() + ": already used");
              }
              String hash = Secrets.hash(credentialSecret);
              if (existing.isPresent()) {
                Sql.update(
                    c,
                    "UPDATE nodes SET labels = ?, credential_hash = ?, enrolled_at = ? WHERE id = ?",
                    Json.write(labels),
                    hash,
                    now.toEpochMilli(),
                    nodeId);
              } else {
                Sql.update(
                    c,
                    "INSERT INTO nodes (id, name, labels, credential_hash, enrolled_at,"
                        + " last_heartbeat_at, last_status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    nodeId,
                    r.name(),
                    Json.write(labels),
                    hash,
                    now.toEpochMilli(),
                    Sql.NULL_BIGINT,
                    Sql.NULL_TEXT);
              }
              return new Identity(nodeId, r.name(), Map.copyOf(labels), hash, now);
            });
    identities.put(identity.id(), identity);
    membership.incrementAndGet();
    LOG.info(
        "node {} ({}) enrolled with labels {}", identity.name(), identity.id(), identity.labels());
    return new Enrollment(
        identity.id(),
        identity.name(),
        identity.labels(),
        Secrets.format(Authenticator.NODE_PREFIX, identity.id(), credentialSecret),
        manifestPublicKey,
        settings.heartbeatInterval());
  }

  private record TokenRow(EnrollmentToken token, String hash) {}

  private static StrataException unauthenticated(String message) {
    return new StrataException(ErrorCode.UNAUTHENTICATED, message);
  }

  @Override
  public Optional<NodePrincipal> authenticateNode(String credential) {
    Optional<Secrets.Token> t = Secrets.parse(credential, Authenticator.NODE_PREFIX);
    if (t.isEmpty()) {
      return Optional.empty();
    }
    Identity id = identities.get(t.get().id());
    if (id == null || !Secrets.matches(t.get().secret(), id.credentialHash())) {
      return Optional.empty();
    }
    return Optional.of(new NodePrincipal(id.id(), id.name()));
  }

  // ---- heartbeats

  @Override
  public Node heartbeat(NodePrincipal principal, Heartbeat heartbeat) {
    requireNonNull(principal, "principal");
    requireNonNull(heartbeat, "heartbeat");
    Identity id = identities.get(principal.id());
    if (id == null) {
      throw new StrataException(
          ErrorCode.UNAUTHENTICATED, "node " + principal.id() + ": no longer enrolled");
    }
    if (!heartbeat.telemetry().isEmpty()) {
      telemetry.store(id.id(), id.enrolledAt().toEpochMilli(), heartbeat.telemetry());
    }
    Beat beat = new Beat(clock.instant(), withoutTelemetry(heartbeat));
    beats.put(id.id(), beat);
    dirty.add(id.id());
    Node node = view(id, beat, beat.at());
    for (HeartbeatListener l : listeners) {
      try {
        l.onHeartbeat(node, heartbeat);
      } catch (RuntimeException e) {
        LOG.warn("heartbeat listener failed for node {}", id.id(), e);
      }
    }
    return node;
  }

  /** The heartbeat as the node's status: its telemetry records are stored elsewhere. */
  private static Heartbeat withoutTelemetry(Heartbeat h) {
    if (h.telemetry().isEmpty()) {
      return h;
    }
    return new Heartbeat(
        h.agentVersion(),
        h.health(),
        h.models(),
        h.queueDepth(),
        h.cpuPercent(),
        h.memoryUsedBytes(),
        h.memoryTotalBytes(),
        h.deployments(),
        h.desiredStateEtag());
  }

  @Override
  public int flush() {
    if (dirty.isEmpty()) {
      return 0;
    }
    List<String> ids = new ArrayList<>(dirty);
    ids.forEach(dirty::remove);
    int written = 0;
    // Chunks keep each transaction short, so an enrollment or a management change waiting for
    // SQLite's single writer lock waits tens of milliseconds, not the whole flush.
    for (int from = 0; from < ids.size(); from += FLUSH_CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + FLUSH_CHUNK));
      List<Object[]> rows = new ArrayList<>(chunk.size());
      for (String id : chunk) {
        Beat b = beats.get(id);
        if (b != null) {
          rows.add(new Object[] {b.at().toEpochMilli(), Json.write(b.heartbeat()), id});
        }
      }
      try {
        db.write(
            c -> {
              Sql.batch(
                  c, "UPDATE nodes SET last_heartbeat_at = ?, last_status = ? WHERE id = ?", rows);
              return null;
            });
      } catch (RuntimeException e) {
        dirty.addAll(ids.subList(from, ids.size()));
        throw e;
      }
      written += rows.size();
    }
    return written;
  }

  // ---- nodes

  @Override
  public Node node(String id) {
    requireNonNull(id, "id");
    Identity identity = identities.get(id);
    if (identity == null) {
      throw StrataException.notFound("node %s: not found", id);
    }
    return view(identity, beats.get(id), clock.instant());
  }

  @Override
  public Node nodeNamed(String name) {
    requireNonNull(name, "name");
    Instant now = clock.instant();
    return identities.values().stream()
        .filter(i -> i.name().equals(name))
        .findFirst()
        .map(i -> view(i, beats.get(i.id()), now))
        .orElseThrow(() -> StrataException.notFound("node named %s: not found", name));
  }

  @Override
  public List<Node> nodes(Selector selector) {
    requireNonNull(selector, "selector");
    Instant now = clock.instant();
    return identities.values().stream()
        .filter(i -> selector.matches(i.labels()))
        .map(i -> view(i, beats.get(i.id()), now))
        .sorted(Comparator.comparing(Node::name))
        .toList();
  }

  @Override
  public Node updateLabels(String id, Map<String, String> labels) {
    Map<String, String> checked = Names.requireTags(labels, "label");
    Identity updated =
        db.write(
            c -> {
              int n =
                  Sql.update(
                      c, "UPDATE nodes SET labels = ? WHERE id = ?", Json.write(checked), id);
              if (n == 0) {
                throw StrataException.notFound("node %s: not found", id);
              }
              return Sql.queryOne(
                      c, "SELECT * FROM nodes WHERE id = ?", JdbcFleetService::mapIdentity, id)
                  .orElseThrow();
            });
    identities.put(id, updated);
    membership.incrementAndGet();
    return node(id);
  }

  @Override
  public void deleteNode(String id) {
    requireNonNull(id, "id");
    int n = db.write(c -> Sql.update(c, "DELETE FROM nodes WHERE id = ?", id));
    if (n == 0) {
      throw StrataException.notFound("node %s: not found", id);
    }
    identities.remove(id);
    beats.remove(id);
    dirty.remove(id);
    membership.incrementAndGet();
    LOG.info("node {} deleted; its credential is revoked", id);
  }

  @Override
  public FleetSummary summary() {
    Instant now = clock.instant();
    int online = 0;
    int stale = 0;
    int offline = 0;
    for (Identity i : identities.values()) {
      switch (stateOf(beats.get(i.id()), now)) {
        case ONLINE -> online++;
        case STALE -> stale++;
        case OFFLINE -> offline++;
      }
    }
    return new FleetSummary(online + stale + offline, online, stale, offline);
  }

  @Override
  public long membershipVersion() {
    return membership.get();
  }

  @Override
  public void addListener(HeartbeatListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  private NodeState stateOf(Beat beat, Instant now) {
    return beat == null ? NodeState.OFFLINE : settings.stateFor(Duration.between(beat.at(), now));
  }

  private Node view(Identity i, Beat beat, Instant now) {
    return new Node(
        i.id(),
        i.name(),
        i.labels(),
        i.enrolledAt(),
        stateOf(beat, now),
        Optional.ofNullable(beat).map(Beat::at),
        Optional.ofNullable(beat).map(Beat::heartbeat));
  }

  // ---- rows

  private static Optional<EnrollmentToken> findToken(Connection c, String id) throws SQLException {
    return Sql.queryOne(
        c, "SELECT * FROM enrollment_tokens WHERE id = ?", JdbcFleetService::mapToken, id);
  }

  private static EnrollmentToken mapToken(ResultSet rs) throws SQLException {
    return new EnrollmentToken(
        rs.getString("id"),
        rs.getString("description"),
        Json.readStringMap(rs.getString("labels")),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("expires_at")),
        Sql.optionalLong(rs, "used_at").map(Instant::ofEpochMilli),
        Optional.ofNullable(rs.getString("node_id")),
        Optional.ofNullable(rs.getString("node_name")));
  }

  private static Identity mapIdentity(ResultSet rs) throws SQLException {
    return new Identity(
        rs.getString("id"),
        rs.getString("name"),
        Json.readStringMap(rs.getString("labels")),
        rs.getString("credential_hash"),
        Instant.ofEpochMilli(rs.getLong("enrolled_at")));
  }
}
