package dev.strata.registry.deploy;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.Node;
import dev.strata.api.NodeState;
import dev.strata.api.NodeView;
import dev.strata.api.Revision;
import dev.strata.api.RevisionStatus;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Stage;
import dev.strata.api.Target;
import dev.strata.api.Variant;
import dev.strata.control.DesiredModel;
import dev.strata.control.DesiredState;
import dev.strata.control.Json;
import dev.strata.control.Names;
import dev.strata.control.Sha256;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import dev.strata.registry.fleet.FleetService;
import dev.strata.registry.model.JdbcModelRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DeploymentService} over the registry database. Changes are serialised in this process
 * and each is one transaction; after each, an in-memory snapshot of the live deployments (with
 * their variants and signed manifests) is reloaded, so computing a node's desired state, which
 * every node polls, touches no database. The registry database has one cloud process writing it.
 */
public final class JdbcDeploymentService implements DeploymentService {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcDeploymentService.class);
  static final String CLOUD = "cloud";

  private final Database db;
  private final FleetService fleet;
  private final Clock clock;
  private final CanaryMonitor canaryMonitor;
  private final Map<String, CachedState> desiredCache = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot = new Snapshot(0, List.of());

  /** A live deployment with the variants its revisions run. */
  record Live(Deployment deployment, Optional<Variant> stable, Optional<Variant> canary) {}

  record Snapshot(long generation, List<Live> deployments) {}

  private record CachedState(long generation, long membership, DesiredState state) {}

  public JdbcDeploymentService(Database db, FleetService fleet, Clock clock) {
    this.db = requireNonNull(db, "db");
    this.fleet = requireNonNull(fleet, "fleet");
    this.clock = requireNonNull(clock, "clock");
    this.canaryMonitor = new CanaryMonitor(this);
    reload();
    fleet.addListener(canaryMonitor);
  }

  // ---- changes

  @Override
  public synchronized Deployment apply(String name, DeploymentSpec spec) {
    Names.requireName(name, "deployment name");
    requireNonNull(spec, "spec");
    List<String> canaryNodes =
        spec.strategy() instanceof RolloutStrategy.Canary c
            ? chooseCanary(name, spec, c.percent())
            : List.of();
    long now = clock.millis();
    db.write(
        c -> {
          JdbcModelRegistry.requireVariant(c, spec.model(), spec.version(), spec.variant());
          requireDeployable(c, spec.model(), spec.version());
          Optional<DeploymentRows.Row> existing = DeploymentRows.find(c, name);
          if (existing.isEmpty()) {
            DeploymentRows.insertDeployment(c, name, spec, now, "");
            rollOut(c, name, spec, Optional.empty(), canaryNodes, now);
            return null;
          }
          DeploymentRows.Row row = existing.get();
          if (!row.model().equals(spec.model())) {
            throw StrataException.invalid(
                "deployment %s: model %s (expected: %s, its model; create another deployment)",
                name, spec.model(), row.model());
          }
          if (row.target() != spec.target()) {
            throw StrataException.invalid(
                "deployment %s: target %s (expected: %s, its target)",
                name, spec.target(), row.target());
          }
          if (row.canary().isPresent()) {
            throw new StrataException(
                ErrorCode.FAILED_PRECONDITION,
                String.format(
                    "deployment %s: canary of revision %d in progress (promote or roll it back"
                        + " first)",
                    name, row.canary().get()));
          }
          DeploymentRows.setSelector(c, name, spec.selector(), now);
          Optional<Revision> stable =
              row.stable().isPresent()
                  ? DeploymentRows.revision(c, name, row.stable().get())
                  : Optional.empty();
          if (stable.isPresent() && stable.get().sameContentAs(spec)) {
            return null; // same revision: only the selector may have changed
          }
          rollOut(c, name, spec, stable, canaryNodes, now);
          return null;
        });
    reload();
    LOG.info("deployment {} applied: {}", name, get(name).message());
    return get(name);
  }

  private void rollOut(
      Connection c,
      String name,
      DeploymentSpec spec,
      Optional<Revision> stable,
      List<String> canaryNodes,
      long now)
      throws SQLException {
    long rev = DeploymentRows.nextRevision(c, name);
    String what =
        String.format("%s version %d variant %s", spec.model(), spec.version(), spec.variant());
    if (spec.strategy() instanceof RolloutStrategy.Canary && !canaryNodes.isEmpty()) {
      DeploymentRows.insertRevision(c, name, rev, spec, RevisionStatus.CANARY, "canary", now);
      DeploymentRows.setPointers(
          c,
          name,
          stable.map(Revision::number),
          Optional.of(rev),
          canaryNodes,
          String.format(
              "revision %d (%s) rolling out to %d canary node(s)", rev, what, canaryNodes.size()),
          now);
      return;
    }
    String message =
        spec.strategy() instanceof RolloutStrategy.Canary
            ? String.format(
                "revision %d (%s) active on all nodes: no node matched for a canary", rev, what)
            : String.format("revision %d (%s) active on all nodes", rev, what);
    DeploymentRows.insertRevision(c, name, rev, spec, RevisionStatus.ACTIVE, "applied", now);
    if (stable.isPresent()) {
      DeploymentRows.setRevisionStatus(
          c, name, stable.get().number(), RevisionStatus.SUPERSEDED, "superseded by " + rev, now);
    }
    DeploymentRows.setPointers(
        c, name, Optional.of(rev), Optional.empty(), List.of(), message, now);
  }

  private static void requireDeployable(Connection c, String model, long version)
      throws SQLException {
    Stage stage =
        Sql.queryOne(
                c,
                "SELECT stage FROM model_versions WHERE model = ? AND version = ?",
                rs -> Stage.valueOf(rs.getString(1)),
                model,
                version)
            .orElseThrow();
    if (stage == Stage.ARCHIVED) {
      throw new StrataException(
          ErrorCode.FAILED_PRECONDITION,
          String.format(
              "model %s version %d: archived (restore it to staging to deploy)", model, version));
    }
  }

  /**
   * Picks the canary nodes: online nodes first, then in an order fixed by a hash of the deployment
   * and node ids, so re-applying picks the same nodes while the fleet is unchanged.
   */
  private List<String> chooseCanary(String name, DeploymentSpec spec, int percent) {
    if (spec.target() != Target.EDGE) {
      return List.of();
    }
    List<Node> candidates = new ArrayList<>(fleet.nodes(spec.selector()));
    if (candidates.isEmpty()) {
      return List.of();
    }
    candidates.sort(
        Comparator.comparing((Node n) -> n.state() != NodeState.ONLINE)
            .thenComparing(
                n -> Sha256.hex((name + "/" + n.id()).getBytes(StandardCharsets.UTF_8))));
    int k = Math.max(1, (int) Math.ceil(candidates.size() * percent / 100.0));
    return candidates.subList(0, Math.min(k, candidates.size())).stream().map(Node::id).toList();
  }

  @Override
  public synchronized Deployment promote(String name) {
    Deployment d = get(name);
    if (d.canary().isEmpty()) {
      throw new StrataException(
          ErrorCode.FAILED_PRECONDITION,
          "deployment " + name + ": no canary in progress to promote");
    }
    return promoteRevision(name, d.canary().get().number(), "promoted by request").orElseThrow();
  }

  /** Promotes {@code rev} if it is still the canary; empty when it no longer is. */
  synchronized Optional<Deployment> promoteRevision(String name, long rev, String reason) {
    long now = clock.millis();
    boolean done =
        db.write(
            c -> {
              DeploymentRows.Row row = DeploymentRows.require(c, name);
              if (!row.canary().equals(Optional.of(rev))) {
                return false;
              }
              if (row.stable().isPresent()) {
                DeploymentRows.setRevisionStatus(
                    c,
                    name,
                    row.stable().get(),
                    RevisionStatus.SUPERSEDED,
                    "superseded by " + rev,
                    now);
              }
              DeploymentRows.setRevisionStatus(c, name, rev, RevisionStatus.ACTIVE, reason, now);
              DeploymentRows.setPointers(
                  c,
                  name,
                  Optional.of(rev),
                  Optional.empty(),
                  List.of(),
                  String.format("revision %d active on all nodes (%s)", rev, reason),
                  now);
              return true;
            });
    if (!done) {
      return Optional.empty();
    }
    reload();
    LOG.info("deployment {}: revision {} promoted ({})", name, rev, reason);
    return Optional.of(get(name));
  }

  @Override
  public synchronized Deployment rollback(String name, String reason) {
    requireNonNull(reason, "reason");
    String why = reason.isBlank() ? "rolled back by request" : reason;
    Deployment d = get(name);
    if (d.canary().isPresent()) {
      return rollbackCanary(name, d.canary().get().number(), why).orElseThrow();
    }
    long now = clock.millis();
    db.write(
        c -> {
          DeploymentRows.Row row = DeploymentRows.require(c, name);
          if (row.canary().isPresent()) {
            throw new StrataException(
                ErrorCode.FAILED_PRECONDITION,
                "deployment " + name + ": changed concurrently, retry");
          }
          long current =
              row.stable()
                  .orElseThrow(
                      () ->
                          new StrataException(
                              ErrorCode.FAILED_PRECONDITION,
                              "deployment " + name + ": no active revision to roll back"));
          Revision previous =
              DeploymentRows.revisions(c, name).stream()
                  .filter(r -> r.number() < current && r.status() == RevisionStatus.SUPERSEDED)
                  .findFirst()
                  .orElseThrow(
                      () ->
                          new StrataException(
                              ErrorCode.FAILED_PRECONDITION,
                              String.format(
                                  "deployment %s: no previous revision to roll back to from %d",
                                  name, current)));
          requireDeployable(c, previous.model(), previous.version());
          DeploymentRows.setRevisionStatus(c, name, current, RevisionStatus.ROLLED_BACK, why, now);
          DeploymentRows.setRevisionStatus(
              c,
              name,
              previous.number(),
              RevisionStatus.ACTIVE,
              "restored by rollback of " + current,
              now);
          DeploymentRows.setPointers(
              c,
              name,
              Optional.of(previous.number()),
              Optional.empty(),
              List.of(),
              String.format(
                  "rolled back from revision %d to %d: %s", current, previous.number(), why),
              now);
          return null;
        });
    reload();
    LOG.info("deployment {} rolled back: {}", name, why);
    return get(name);
  }

  /** Takes back canary {@code rev} if it is still the canary; empty when it no longer is. */
  synchronized Optional<Deployment> rollbackCanary(String name, long rev, String reason) {
    long now = clock.millis();
    boolean done =
        db.write(
            c -> {
              DeploymentRows.Row row = DeploymentRows.require(c, name);
              if (!row.canary().equals(Optional.of(rev))) {
                return false;
              }
              DeploymentRows.setRevisionStatus(
                  c, name, rev, RevisionStatus.ROLLED_BACK, reason, now);
              DeploymentRows.setPointers(
                  c,
                  name,
                  row.stable(),
                  Optional.empty(),
                  List.of(),
                  String.format("canary revision %d rolled back: %s", rev, reason),
                  now);
              return true;
            });
    if (!done) {
      return Optional.empty();
    }
    reload();
    LOG.warn("deployment {}: canary revision {} rolled back: {}", name, rev, reason);
    return Optional.of(get(name));
  }

  @Override
  public synchronized void delete(String name) {
    int n = db.write(c -> Sql.update(c, "DELETE FROM deployments WHERE name = ?", name));
    if (n == 0) {
      throw StrataException.notFound("deployment %s: not found", name);
    }
    reload();
    LOG.info("deployment {} deleted", name);
  }

  // ---- reads

  @Override
  public Deployment get(String name) {
    requireNonNull(name, "name");
    return db.read(c -> DeploymentRows.resolve(c, DeploymentRows.require(c, name)));
  }

  @Override
  public List<Deployment> list() {
    return db.read(
        c -> {
          List<Deployment> out = new ArrayList<>();
          for (DeploymentRows.Row r : DeploymentRows.all(c)) {
            out.add(DeploymentRows.resolve(c, r));
          }
          return out;
        });
  }

  @Override
  public List<Revision> history(String name) {
    return db.read(
        c -> {
          DeploymentRows.require(c, name);
          return DeploymentRows.revisions(c, name);
        });
  }

  @Override
  public DeploymentStatus status(String name) {
    return DeploymentStatuses.of(get(name), fleet);
  }

  @Override
  public DesiredState desiredStateFor(String nodeId) {
    Node node = fleet.node(nodeId);
    Snapshot snap = snapshot;
    long membership = fleet.membershipVersion();
    CachedState cached = desiredCache.get(nodeId);
    if (cached != null
        && cached.generation() == snap.generation()
        && cached.membership() == membership) {
      return cached.state();
    }
    List<DesiredModel> models = new ArrayList<>();
    for (Live live : snap.deployments()) {
      Deployment d = live.deployment();
      if (d.target() != Target.EDGE || !d.selector().matches(node.labels())) {
        continue;
      }
      boolean canary = d.canary().isPresent() && d.canaryNodes().contains(nodeId);
      Optional<Revision> rev = canary ? d.canary() : d.stable();
      Optional<Variant> variant = canary ? live.canary() : live.stable();
      if (rev.isPresent() && variant.isPresent()) {
        models.add(desiredModel(d, rev.get(), variant.get(), canary));
      }
    }
    DesiredState state = withEtag(nodeId, models);
    desiredCache.put(nodeId, new CachedState(snap.generation(), membership, state));
    return state;
  }

  @Override
  public DesiredState desiredStateForCloud() {
    List<DesiredModel> models = new ArrayList<>();
    for (Live live : snapshot.deployments()) {
      Deployment d = live.deployment();
      if (d.target() == Target.CLOUD && d.stable().isPresent() && live.stable().isPresent()) {
        models.add(desiredModel(d, d.stable().get(), live.stable().get(), false));
      }
    }
    return withEtag(CLOUD, models);
  }

  @Override
  public NodeView nodeView(String nodeId) {
    return new NodeView(fleet.node(nodeId), desiredStateFor(nodeId));
  }

  private static DesiredModel desiredModel(Deployment d, Revision r, Variant v, boolean canary) {
    return new DesiredModel(
        d.name(),
        r.number(),
        canary,
        v.model(),
        v.version(),
        v.name(),
        v.format(),
        v.sha256(),
        v.size(),
        v.manifest(),
        r.policy(),
        r.hardExamples());
  }

  private static DesiredState withEtag(String nodeId, List<DesiredModel> models) {
    String etag = Sha256.hex(Json.writeBytes(models)).substring(0, 32);
    return new DesiredState(nodeId, models, etag);
  }

  Snapshot snapshot() {
    return snapshot;
  }

  FleetService fleet() {
    return fleet;
  }

  private synchronized void reload() {
    List<Live> live =
        db.read(
            c -> {
              List<Live> out = new ArrayList<>();
              Map<String, Variant> variants = new HashMap<>();
              for (DeploymentRows.Row r : DeploymentRows.all(c)) {
                Deployment d = DeploymentRows.resolve(c, r);
                out.add(
                    new Live(
                        d, variantOf(c, d.stable(), variants), variantOf(c, d.canary(), variants)));
              }
              return out;
            });
    snapshot = new Snapshot(snapshot.generation() + 1, live);
    canaryMonitor.retain(live);
  }

  private static Optional<Variant> variantOf(
      Connection c, Optional<Revision> rev, Map<String, Variant> memo) throws SQLException {
    if (rev.isEmpty()) {
      return Optional.empty();
    }
    Revision r = rev.get();
    String key = r.model() + "/" + r.version() + "/" + r.variant();
    Variant v = memo.get(key);
    if (v == null) {
      v = JdbcModelRegistry.requireVariant(c, r.model(), r.version(), r.variant());
      memo.put(key, v);
    }
    return Optional.of(v);
  }
}
