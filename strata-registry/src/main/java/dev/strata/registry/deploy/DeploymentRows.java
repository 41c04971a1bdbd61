package dev.strata.registry.deploy;

import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Revision;
import dev.strata.api.RevisionStatus;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Selector;
import dev.strata.api.Target;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import dev.strata.registry.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The SQL of deployments and their revisions. Called inside the service's transactions. */
final class DeploymentRows {
  private DeploymentRows() {}

  /** A deployments row with its revision pointers unresolved. */
  record Row(
      String name,
      String model,
      Target target,
      Selector selector,
      Optional<Long> stable,
      Optional<Long> canary,
      List<String> canaryNodes,
      String message,
      Instant createdAt,
      Instant updatedAt) {}

  static Optional<Row> find(Connection c, String name) throws SQLException {
    return Sql.queryOne(
        c, "SELECT * FROM deployments WHERE name = ?", DeploymentRows::mapRow, name);
  }

  static Row require(Connection c, String name) throws SQLException {
    return find(c, name)
        .orElseThrow(() -> StrataException.notFound("deployment %s: not found", name));
  }

  static List<Row> all(Connection c) throws SQLException {
    return Sql.query(c, "SELECT * FROM deployments ORDER BY name", DeploymentRows::mapRow);
  }

  static Optional<Revision> revision(Connection c, String deployment, long number)
      throws SQLException {
    return Sql.queryOne(
        c,
        "SELECT * FROM deployment_revisions WHERE deployment = ? AND revision = ?",
        DeploymentRows::mapRevision,
        deployment,
        number);
  }

  static List<Revision> revisions(Connection c, String deployment) throws SQLException {
    return Sql.query(
        c,
        "SELECT * FROM deployment_revisions WHERE deployment = ? ORDER BY revision DESC",
        DeploymentRows::mapRevision,
        deployment);
  }

  static Deployment resolve(Connection c, Row r) throws SQLException {
    Optional<Revision> stable =
        r.stable().isPresent() ? revision(c, r.name(), r.stable().get()) : Optional.empty();
    Optional<Revision> canary =
        r.canary().isPresent() ? revision(c, r.name(), r.canary().get()) : Optional.empty();
    return new Deployment(
        r.name(),
        r.model(),
        r.target(),
        r.selector(),
        stable,
        canary,
        r.canaryNodes(),
        r.message(),
        r.createdAt(),
        r.updatedAt());
  }

  static void insertDeployment(
      Connection c, String name, DeploymentSpec spec, long now, String message)
      throws SQLException {
    Sql.update(
        c,
        "INSERT INTO deployments (name, model, target, selector, stable_revision, canary_revision,"
            + " canary_nodes, next_revision, message, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        name,
        spec.model(),
        spec.target().name(),
        spec.selector().toString(),
        Sql.NULL_BIGINT,
        Sql.NULL_BIGINT,
        "[]",
        message,
        now,
        now);
  }

  /** Takes the next revision number; the UPDATE also locks the deployment's row (PostgreSQL). */
  static long nextRevision(Connection c, String name) throws SQLException {
    Sql.update(c, "UPDATE deployments SET next_revision = next_revision + 1 WHERE name = ?", name);
    return Sql.queryOne(
            c,
            "SELECT next_revision - 1 FROM deployments WHERE name = ?",
            rs -> rs.getLong(1),
            name)
        .orElseThrow();
  }

  static void insertRevision(
      Connection c,
      String deployment,
      long number,
      DeploymentSpec spec,
      RevisionStatus status,
      String reason,
      long now)
      throws SQLException {
    Sql.update(
        c,
        "INSERT INTO deployment_revisions (deployment, revision, model, version, variant, strategy,"
            + " policy, hard_examples, status, reason, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        deployment,
        number,
        spec.model(),
        spec.version(),
        spec.variant(),
        Json.write(spec.strategy()),
        Json.write(spec.policy()),
        Json.write(spec.hardExamples()),
        status.name(),
        reason,
        now,
        now);
  }

  static void setRevisionStatus(
      Connection c, String deployment, long number, RevisionStatus status, String reason, long now)
      throws SQLException {
    Sql.update(
        c,
        "UPDATE deployment_revisions SET status = ?, reason = ?, updated_at = ?"
            + " WHERE deployment = ? AND revision = ?",
        status.name(),
        reason,
        now,
        deployment,
        number);
  }

  static void setPointers(
      Connection c,
      String name,
      Optional<Long> stable,
      Optional<Long> canary,
      List<String> canaryNodes,
      String message,
      long now)
      throws SQLException {
    Sql.update(
        c,
        "UPDATE deployments SET stable_revision = ?, canary_revision = ?, canary_nodes = ?,"
            + " message = ?, updated_at = ? WHERE name = ?",
        Sql.bigint(stable),
        Sql.bigint(canary),
        Json.write(canaryNodes),
        message,
        now,
        name);
  }

  static void setSelector(Connection c, String name, Selector selector, long now)
      throws SQLException {
    Sql.update(
        c,
        "UPDATE deployments SET selector = ?, updated_at = ? WHERE name = ?",
        selector.toString(),
        now,
        name);
  }

  private static Row mapRow(ResultSet rs) throws SQLException {
    return new Row(
        rs.getString("name"),
        rs.getString("model"),
        Target.valueOf(rs.getString("target")),
        Selector.parse(rs.getString("selector")),
        Sql.optionalLong(rs, "stable_revision"),
        Sql.optionalLong(rs, "canary_revision"),
        Json.readStringList(rs.getString("canary_nodes")),
        rs.getString("message"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("updated_at")));
  }

  private static Revision mapRevision(ResultSet rs) throws SQLException {
    return new Revision(
        rs.getLong("revision"),
        rs.getString("model"),
        rs.getLong("version"),
        rs.getString("variant"),
        Json.read(rs.getString("strategy"), RolloutStrategy.class),
        Json.read(rs.getString("policy"), InferencePolicy.class),
        Json.read(rs.getString("hard_examples"), HardExamplePolicy.class),
        RevisionStatus.valueOf(rs.getString("status")),
        rs.getString("reason"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("updated_at")));
  }
}
