package dev.strata.registry.samples;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.api.Artifact;
import dev.strata.api.Deployment;
import dev.strata.api.Node;
import dev.strata.api.Revision;
import dev.strata.api.Sample;
import dev.strata.api.SampleUsage;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.Json;
import dev.strata.control.SampleUpload;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.artifact.ArtifactStore;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.auth.Secrets;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.fleet.FleetService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Hard examples edges upload for retraining: the input (content-addressed in its own artifact
 * store) with the edge's and the cloud's answers. Opt-in per deployment; when a deployment's
 * samples would exceed its cap the oldest are dropped, so collection never fails an edge and the
 * store keeps the freshest examples.
 */
public final class SampleStore {
  private final Database db;
  private final ArtifactStore inputs;
  private final DeploymentService deployments;
  private final FleetService fleet;
  private final Secrets secrets;
  private final Clock clock;

  public SampleStore(
      Database db,
      ArtifactStore inputs,
      DeploymentService deployments,
      FleetService fleet,
      Secrets secrets,
      Clock clock) {
    this.db = requireNonNull(db, "db");
    this.inputs = requireNonNull(inputs, "inputs");
    this.deployments = requireNonNull(deployments, "deployments");
    this.fleet = requireNonNull(fleet, "fleet");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Stores a sample from {@code node}: PERMISSION_DENIED when the deployment does not target the
   * node, FAILED_PRECONDITION when it does not collect samples, PAYLOAD_TOO_LARGE over its
   * per-sample limit.
   */
  public synchronized Sample upload(NodePrincipal node, SampleUpload upload, InputStream input) {
    requireNonNull(node, "node");
    requireNonNull(upload, "upload");
    requireNonNull(input, "input");
    Deployment d = deployments.get(upload.deployment());
    Node n = fleet.node(node.id());
    if (!d.selector().matches(n.labels())) {
      throw new StrataException(
          ErrorCode.PERMISSION_DENIED,
          "deployment " + d.name() + ": does not target node " + n.name());
    }
    Revision rev =
        d.revisionFor(n.id())
            .orElseThrow(
                () ->
                    new StrataException(
                        ErrorCode.FAILED_PRECONDITION,
                        "deployment " + d.name() + ": no revision for node " + n.name()));
    HardExamplePolicy policy = rev.hardExamples();
    if (!policy.enabled()) {
      throw new StrataException(
          ErrorCode.FAILED_PRECONDITION,
          "deployment " + d.name() + ": hard-example collection is not enabled");
    }
    Artifact stored = inputs.put(input, policy.maxSampleBytes(), Optional.empty());
    String id = "s" + secrets.newId();
    long now = clock.millis();
    List<String> droppedInputs =
        db.write(
            c -> {
              Sql.update(
                  c,
                  "INSERT INTO samples (id, deployment, node_id, model, version, input_sha256,"
                      + " input_size, content_type, edge_answer, cloud_answer, created_at)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  id,
                  d.name(),
                  n.id(),
                  rev.model(),
                  rev.version(),
                  stored.sha256(),
                  stored.size(),
                  upload.contentType(),
                  Json.write(upload.edgeAnswer()),
                  Json.write(upload.cloudAnswer()),
                  now);
              long total =
                  Sql.queryOne(
                          c,
                          "SELECT COALESCE(SUM(input_size), 0) FROM samples WHERE deployment = ?",
                          rs -> rs.getLong(1),
                          d.name())
                      .orElse(0L);
              List<String> dropped = new ArrayList<>();
              if (total > policy.maxTotalBytes()) {
                for (Sample old :
                    Sql.query(
                        c,
                        "SELECT * FROM samples WHERE deployment = ? AND id <> ?"
                            + " ORDER BY created_at, id",
                        SampleStore::map,
                        d.name(),
                        id)) {
                  if (total <= policy.maxTotalBytes()) {
                    break;
                  }
                  Sql.update(c, "DELETE FROM samples WHERE id = ?", old.id());
                  total -= old.inputSize();
                  dropped.add(old.inputSha256());
                }
              }
              return dropped;
            });
    droppedInputs.forEach(this::deleteInputIfUnused);
    return get(id);
  }

  private void deleteInputIfUnused(String sha256) {
    long refs =
        db.read(
            c ->
                Sql.queryOne(
                        c,
                        "SELECT COUNT(*) FROM samples WHERE input_sha256 = ?",
                        rs -> rs.getLong(1),
                        sha256)
                    .orElse(0L));
    if (refs == 0) {
      inputs.delete(sha256);
    }
  }

  public Sample get(String id) {
    requireNonNull(id, "id");
    return db.read(c -> Sql.queryOne(c, "SELECT * FROM samples WHERE id = ?", SampleStore::map, id))
        .orElseThrow(() -> StrataException.notFound("sample %s: not found", id));
  }

  /** A page of a deployment's samples, oldest first, after the sample id {@code after}. */
  public List<Sample> list(String deployment, Optional<String> after, int limit) {
    requireNonNull(deployment, "deployment");
    requireNonNull(after, "after");
    if (limit < 1 || limit > 1000) {
      throw StrataException.invalid("limit: %d (expected: 1-1000)", limit);
    }
    Optional<Sample> a = after.map(this::get);
    return db.read(
        c -> {
          if (a.isEmpty()) {
            return Sql.query(
                c,
                "SELECT * FROM samples WHERE deployment = ? ORDER BY created_at, id LIMIT ?",
                SampleStore::map,
                deployment,
                limit);
          }
          return Sql.query(
              c,
              "SELECT * FROM samples WHERE deployment = ? AND (created_at > ? OR (created_at = ?"
                  + " AND id > ?)) ORDER BY created_at, id LIMIT ?",
              SampleStore::map,
              deployment,
              a.get().createdAt().toEpochMilli(),
              a.get().createdAt().toEpochMilli(),
              a.get().id(),
              limit);
        });
  }

  /** The bytes and count of a deployment's samples. */
  public SampleUsage usage(String deployment) {
    return db.read(
        c ->
            Sql.queryOne(
                    c,
                    "SELECT COUNT(*), COALESCE(SUM(input_size), 0) FROM samples WHERE deployment = ?",
                    rs -> new SampleUsage(rs.getLong(1), rs.getLong(2)),
                    deployment)
                .orElseThrow());
  }

  public ArtifactContent openInput(String id) {
    return inputs.open(get(id).inputSha256());
  }

  public void delete(String id) {
    Sample s = get(id);
    db.write(c -> Sql.update(c, "DELETE FROM samples WHERE id = ?", id));
    deleteInputIfUnused(s.inputSha256());
  }

  /**
   * Writes a deployment's samples as JSON Lines, one object per sample with its metadata, both
   * answers and the input as base64 ({@code GET /api/v1/deployments/{name}/samples/export}).
   */
  public long export(String deployment, OutputStream out) {
    long n = 0;
    Optional<String> after = Optional.empty();
    try {
      while (true) {
        List<Sample> page = list(deployment, after, 100);
        for (Sample s : page) {
          ObjectNode line = Json.mapper().valueToTree(s);
          try (ArtifactContent in = inputs.open(s.inputSha256())) {
            line.put("input", Base64.getEncoder().encodeToString(in.stream().readAllBytes()));
          }
          out.write(Json.writeBytes(line));
          out.write('\n');
          n++;
        }
        if (page.size() < 100) {
          break;
        }
        after = Optional.of(page.getLast().id());
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export samples of " + deployment, e);
    }
    return n;
  }

  /** Deletes stored inputs no sample refers to, older than {@code minAge} (crash leftovers). */
  public int collectGarbage(Duration minAge) {
    Instant cutoff = clock.instant().minus(minAge);
    int deleted = 0;
    for (Artifact a : inputs.list()) {
      if (a.storedAt().isBefore(cutoff)) {
        long refs =
            db.read(
                c ->
                    Sql.queryOne(
                            c,
                            "SELECT COUNT(*) FROM samples WHERE input_sha256 = ?",
                            rs -> rs.getLong(1),
                            a.sha256())
                        .orElse(0L));
        if (refs == 0 && inputs.delete(a.sha256())) {
          deleted++;
        }
      }
    }
    return deleted;
  }

  private static Sample map(ResultSet rs) throws SQLException {
    return new Sample(
        rs.getString("id"),
        rs.getString("deployment"),
        rs.getString("node_id"),
        rs.getString("model"),
        rs.getLong("version"),
        rs.getString("input_sha256"),
        rs.getLong("input_size"),
        rs.getString("content_type"),
        Json.read(rs.getString("edge_answer"), JsonNode.class),
        Json.read(rs.getString("cloud_answer"), JsonNode.class),
        Instant.ofEpochMilli(rs.getLong("created_at")));
  }
}
