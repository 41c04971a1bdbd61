package dev.strata.registry.model;

import static java.util.Objects.requireNonNull;

import dev.strata.api.Artifact;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Model;
import dev.strata.api.ModelVersion;
import dev.strata.api.Stage;
import dev.strata.api.UpdateModelRequest;
import dev.strata.api.UpdateVersionRequest;
import dev.strata.api.Variant;
import dev.strata.control.Json;
import dev.strata.control.Sha256;
import dev.strata.control.SignedManifest;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.artifact.ArtifactStore;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import dev.strata.registry.manifest.ManifestSigner;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link ModelRegistry} over the registry database and an artifact store. */
public final class JdbcModelRegistry implements ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcModelRegistry.class);

  private final Database db;
  private final ArtifactStore artifacts;
  private final ManifestSigner signer;
  private final Clock clock;
  private final long maxArtifactBytes;

  public JdbcModelRegistry(
      Database db,
      ArtifactStore artifacts,
      ManifestSigner signer,
      Clock clock,
      long maxArtifactBytes) {
    this.db = requireNonNull(db, "db");
    this.artifacts = requireNonNull(artifacts, "artifacts");
    this.signer = requireNonNull(signer, "signer");
    this.clock = requireNonNull(clock, "clock");
    if (maxArtifactBytes < 1) {
      throw StrataException.invalid("maxArtifactBytes: %d (expected: >= 1)", maxArtifactBytes);
    }
    this.maxArtifactBytes = maxArtifactBytes;
  }

  // ---- models

  @Override
  public Model createModel(CreateModelRequest r) {
    requireNonNull(r, "request");
    long now = clock.millis();
    return db.write(
        c -> {
          if (findModel(c, r.name()).isPresent()) {
            throw new StrataException(
                ErrorCode.ALREADY_EXISTS, "model " + r.name() + ": already exists");
          }
          Sql.update(
              c,
              "INSERT INTO models (name, description, tags, next_version, created_at)"
                  + " VALUES (?, ?, ?, 1, ?)",
              r.name(),
              r.description(),
              Json.write(r.tags()),
              now);
          return findModel(c, r.name()).orElseThrow();
        });
  }

  @Override
  public Model model(String name) {
    return db.read(c -> requireModel(c, name));
  }

  @Override
  public List<Model> models() {
    return db.read(c -> Sql.query(c, "SELECT * FROM models ORDER BY name", ModelRows::mapModel));
  }

  @Override
  public Model updateModel(String name, UpdateModelRequest r) {
    requireNonNull(r, "request");
    return db.write(
        c -> {
          Model m = requireModel(c, name);
          Sql.update(
              c,
              "UPDATE models SET description = ?, tags = ? WHERE name = ?",
              r.description().orElse(m.description()),
              Json.write(r.tags().orElse(m.tags())),
              name);
          return requireModel(c, name);
        });
  }

  @Override
  public void deleteModel(String name) {
    db.write(
        c -> {
          requireModel(c, name);
          List<String> users =
              Sql.query(
                  c,
                  "SELECT name FROM deployments WHERE model = ? ORDER BY name",
                  rs -> rs.getString(1),
                  name);
          if (!users.isEmpty()) {
            throw new StrataException(
                ErrorCode.FAILED_PRECONDITION,
                "model " + name + ": used by deployments " + users + " (delete them first)");
          }
          Sql.update(c, "DELETE FROM models WHERE name = ?", name);
          return null;
        });
  }

  // ---- versions

  @Override
  public ModelVersion createVersion(String model, CreateVersionRequest r) {
    requireNonNull(r, "request");
    long now = clock.millis();
    return db.write(
        c -> {
          // The UPDATE locks the model's row (PostgreSQL), so concurrent creators get distinct
          // numbers; SQLite writers are serialised anyway.
          int n =
              Sql.update(
                  c, "UPDATE models SET next_version = next_version + 1 WHERE name = ?", model);
          if (n == 0) {
            throw StrataException.notFound("model %s: not found", model);
          }
          long version =
              Sql.queryOne(
                      c,
                      "SELECT next_version - 1 FROM models WHERE name = ?",
                      rs -> rs.getLong(1),
                      model)
                  .orElseThrow();
          Sql.update(
              c,
              "INSERT INTO model_versions (model, version, stage, description, tags, created_at,"
                  + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
              model,
              version,
              Stage.STAGING.name(),
              r.description(),
              Json.write(r.tags()),
              now,
              now);
          return requireVersion(c, model, version);
        });
  }

  @Override
  public ModelVersion version(String model, long version) {
    return db.read(c -> requireVersion(c, model, version));
  }

  @Override
  public List<ModelVersion> versions(String model) {
    return db.read(
        c -> {
          requireModel(c, model);
          List<ModelVersion> bare =
              Sql.query(
                  c,
                  "SELECT * FROM model_versions WHERE model = ? ORDER BY version DESC",
                  rs -> ModelRows.mapVersion(rs, List.of()),
                  model);
          List<Variant> all =
              Sql.query(
                  c,
                  "SELECT * FROM variants WHERE model = ? ORDER BY version, name",
                  ModelRows::mapVariant,
                  model);
          List<ModelVersion> out = new ArrayList<>(bare.size());
          for (ModelVersion v : bare) {
            out.add(
                ModelRows.withVariants(
                    v, all.stream().filter(x -> x.version() == v.version()).toList()));
          }
          return out;
        });
  }

  @Override
  public Optional<ModelVersion> latest(String model, Stage stage) {
    requireNonNull(stage, "stage");
    return db.read(
        c -> {
          requireModel(c, model);
          Optional<Long> v =
              Sql.queryOne(
                      c,
                      "SELECT MAX(version) AS v FROM model_versions WHERE model = ? AND stage = ?",
                      rs -> Sql.optionalLong(rs, "v"),
                      model,
                      stage.name())
                  .flatMap(x -> x);
          return v.isPresent() ? Optional.of(requireVersion(c, model, v.get())) : Optional.empty();
        });
  }

  @Override
  public ModelVersion updateVersion(String model, long version, UpdateVersionRequest r) {
    requireNonNull(r, "request");
    long now = clock.millis();
    return db.write(
        c -> {
          ModelVersion v = requireVersion(c, model, version);
          Stage next = r.stage().orElse(v.stage());
          if (next != v.stage()) {
            if (!v.stage().canMoveTo(next)) {
              throw new StrataException(
                  ErrorCode.FAILED_PRECONDITION,
                  String.format(
                      "model %s version %d: stage %s cannot move to %s",
                      model, version, v.stage().wireName(), next.wireName()));
            }
            if (next == Stage.ARCHIVED) {
              List<String> live = liveDeployments(c, model, version);
              if (!live.isEmpty()) {
                throw new StrataException(
                    ErrorCode.FAILED_PRECONDITION,
                    String.format(
                        "model %s version %d: deployed by %s (roll them forward or back before"
                            + " archiving)",
                        model, version, live));
              }
            }
          }
          Sql.update(
              c,
              "UPDATE model_versions SET stage = ?, tags = ?, updated_at = ?"
                  + " WHERE model = ? AND version = ?",
              next.name(),
              Json.write(r.tags().orElse(v.tags())),
              now,
              model,
              version);
          return requireVersion(c, model, version);
        });
  }

  private static List<String> liveDeployments(Connection c, String model, long version)
      throws SQLException {
    return Sql.query(
        c,
        "SELECT DISTINCT deployment FROM deployment_revisions WHERE model = ? AND version = ?"
            + " AND status IN ('ACTIVE', 'CANARY') ORDER BY deployment",
        rs -> rs.getString(1),
        model,
        version);
  }

  @Override
  public void deleteVersion(String model, long version) {
    db.write(
        c -> {
          requireVersion(c, model, version);
          List<String> users =
              Sql.query(
                  c,
                  "SELECT DISTINCT deployment FROM deployment_revisions WHERE model = ? AND"
                      + " version = ? ORDER BY deployment",
                  rs -> rs.getString(1),
                  model,
                  version);
          if (!users.isEmpty()) {
            throw new StrataException(
                ErrorCode.FAILED_PRECONDITION,
                String.format(
                    "model %s version %d: referred to by deployments %s (their history keeps it"
                        + " for rollback; archive it instead)",
                    model, version, users));
          }
          Sql.update(
              c, "DELETE FROM model_versions WHERE model = ? AND version = ?", model, version);
          return null;
        });
  }

  // ---- variants and artifacts

  @Override
  public Variant addVariant(String model, long version, CreateVariantRequest r) {
    requireNonNull(r, "request");
    Artifact artifact =
        artifacts
            .stat(r.sha256())
            .orElseThrow(
                () ->
                    new StrataException(
                        ErrorCode.FAILED_PRECONDITION,
                        "artifact "
                            + r.sha256()
                            + ": not uploaded (POST /api/v1/artifacts first)"));
    Instant now = clock.instant();
    return db.write(
        c -> {
          ModelVersion v = requireVersion(c, model, version);
          if (v.stage() == Stage.ARCHIVED) {
            throw new StrataException(
                ErrorCode.FAILED_PRECONDITION,
                String.format(
                    "model %s version %d: archived (takes no new variants)", model, version));
          }
          if (v.variants().stream().anyMatch(x -> x.name().equals(r.name()))) {
            throw new StrataException(
                ErrorCode.ALREADY_EXISTS,
                String.format(
                    "model %s version %d variant %s: already exists (variants are immutable)",
                    model, version, r.name()));
          }
          SignedManifest manifest =
              signer.sign(model, version, r.name(), r.format(), r.sha256(), artifact.size(), now);
          Sql.update(
              c,
              "INSERT INTO variants (model, version, name, format, sha256, size_bytes, signature,"
                  + " labels, metrics, provenance, tags, manifest, created_at)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              model,
              version,
              r.name(),
              r.format(),
              r.sha256(),
              artifact.size(),
              Json.write(r.signature()),
              Json.write(r.labels()),
              Json.write(r.metrics()),
              Json.write(r.provenance()),
              Json.write(r.tags()),
              Json.write(manifest),
              now.toEpochMilli());
          return requireVariant(c, model, version, r.name());
        });
  }

  @Override
  public Variant variant(String model, long version, String variant) {
    return db.read(c -> requireVariant(c, model, version, variant));
  }

  @Override
  public Artifact uploadArtifact(InputStream content, Optional<String> expectedSha256) {
    Artifact a = artifacts.put(new NonEmpty(content), maxArtifactBytes, expectedSha256);
    LOG.debug("stored artifact {} ({} bytes)", a.sha256(), a.size());
    return a;
  }

  @Override
  public Artifact artifact(String sha256) {
    Sha256.requireValid(sha256, "sha256");
    return artifacts
        .stat(sha256)
        .orElseThrow(() -> StrataException.notFound("artifact %s: not found", sha256));
  }

  @Override
  public ArtifactContent openArtifact(String sha256, long offset, long length) {
    return artifacts.open(sha256, offset, length);
  }

  @Override
  public GarbageCollection collectGarbage(Duration minAge) {
    requireNonNull(minAge, "minAge");
    Instant cutoff = clock.instant().minus(minAge);
    Set<String> referenced =
        new HashSet<>(
            db.read(
                c -> Sql.query(c, "SELECT DISTINCT sha256 FROM variants", rs -> rs.getString(1))));
    List<String> deleted = new ArrayList<>();
    long freed = 0;
    for (Artifact a : artifacts.list()) {
      if (!referenced.contains(a.sha256()) && a.storedAt().isBefore(cutoff)) {
        if (artifacts.delete(a.sha256())) {
          deleted.add(a.sha256());
          freed += a.size();
        }
      }
    }
    if (!deleted.isEmpty()) {
      LOG.info("garbage collection removed {} artifact(s), {} bytes", deleted.size(), freed);
    }
    return new GarbageCollection(deleted, freed);
  }

  // ---- rows

  private static Optional<Model> findModel(Connection c, String name) throws SQLException {
    return Sql.queryOne(c, "SELECT * FROM models WHERE name = ?", ModelRows::mapModel, name);
  }

  private static Model requireModel(Connection c, String name) throws SQLException {
    requireNonNull(name, "name");
    return findModel(c, name)
        .orElseThrow(() -> StrataException.notFound("model %s: not found", name));
  }

  static ModelVersion requireVersion(Connection c, String model, long version) throws SQLException {
    requireNonNull(model, "model");
    Optional<ModelVersion> v =
        Sql.queryOne(
            c,
            "SELECT * FROM model_versions WHERE model = ? AND version = ?",
            rs -> ModelRows.mapVersion(rs, List.of()),
            model,
            version);
    if (v.isEmpty()) {
      requireModel(c, model);
      throw StrataException.notFound("model %s version %d: not found", model, version);
    }
    List<Variant> variants =
        Sql.query(
            c,
            "SELECT * FROM variants WHERE model = ? AND version = ? ORDER BY name",
            ModelRows::mapVariant,
            model,
            version);
    return ModelRows.withVariants(v.get(), variants);
  }

  /** The variant, or NOT_FOUND naming the first missing part of model/version/variant. */
  public static Variant requireVariant(Connection c, String model, long version, String name)
      throws SQLException {
    requireNonNull(name, "variant");
    Optional<Variant> v =
        Sql.queryOne(
            c,
            "SELECT * FROM variants WHERE model = ? AND version = ? AND name = ?",
            ModelRows::mapVariant,
            model,
            version,
            name);
    if (v.isEmpty()) {
      requireVersion(c, model, version);
      throw StrataException.notFound(
          "model %s version %d variant %s: not found", model, version, name);
    }
    return v.get();
  }

  /** An upload that ends before its first byte is refused: no model is 0 bytes long. */
  private static final class NonEmpty extends java.io.FilterInputStream {
    private boolean any;

    NonEmpty(InputStream in) {
      super(requireNonNull(in, "content"));
    }

    @Override
    public int read() throws java.io.IOException {
      int b = super.read();
      seen(b < 0 ? -1 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws java.io.IOException {
      return seen(super.read(b, off, len));
    }

    private int seen(int n) {
      if (n > 0) {
        any = true;
      } else if (n < 0 && !any) {
        throw StrataException.invalid("artifact: 0 bytes (expected: at least 1 byte)");
      }
      return n;
    }
  }
}
