package dev.strata.registry;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.fleet.FleetSettings;
import dev.strata.registry.telemetry.TelemetrySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The registry's configuration, with defaults for everything but the data directory.
 *
 * @param dataDir where the registry keeps its files: {@code registry.db} (SQLite), {@code
 *     artifacts/}, {@code samples/}, {@code keys/}
 * @param database the database; default SQLite at {@code <dataDir>/registry.db}
 * @param maxArtifactBytes the largest artifact accepted (default 4 GiB)
 * @param adminToken the admin token; generated on first start (and shown once) when empty
 * @param fleet heartbeat and liveness timing
 * @param artifactGcMinAge how old an unreferenced artifact must be before garbage collection
 *     removes it (default 1 h)
 * @param telemetry how long edge telemetry is kept (default 7 days)
 */
public record RegistryConfig(
    Path dataDir,
    DatabaseConfig database,
    long maxArtifactBytes,
    Optional<String> adminToken,
    FleetSettings fleet,
    Duration artifactGcMinAge,
    TelemetrySettings telemetry) {
  public static final long DEFAULT_MAX_ARTIFACT_BYTES = 4L << 30;

  public RegistryConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(database, "database");
    requireNonNull(adminToken, "adminToken");
    requireNonNull(fleet, "fleet");
    requireNonNull(artifactGcMinAge, "artifactGcMinAge");
    requireNonNull(telemetry, "telemetry");
    if (maxArtifactBytes < 1) {
      throw StrataException.invalid("maxArtifactBytes: %d (expected: >= 1)", maxArtifactBytes);
    }
  }

  /** The defaults for a data directory: SQLite inside it, generated admin token. */
  public static RegistryConfig defaults(Path dataDir) {
    return new RegistryConfig(
        dataDir,
        DatabaseConfig.of("jdbc:sqlite:" + dataDir.toAbsolutePath().resolve("registry.db")),
        DEFAULT_MAX_ARTIFACT_BYTES,
        Optional.empty(),
        FleetSettings.DEFAULTS,
        Duration.ofHours(1),
        TelemetrySettings.DEFAULTS);
  }

  public RegistryConfig withDatabase(DatabaseConfig db) {
    return new RegistryConfig(
        dataDir, db, maxArtifactBytes, adminToken, fleet, artifactGcMinAge, telemetry);
  }

  public RegistryConfig withMaxArtifactBytes(long max) {
    return new RegistryConfig(
        dataDir, database, max, adminToken, fleet, artifactGcMinAge, telemetry);
  }

  public RegistryConfig withAdminToken(String token) {
    return new RegistryConfig(
        dataDir,
        database,
        maxArtifactBytes,
        Optional.of(token),
        fleet,
        artifactGcMinAge,
        telemetry);
  }

  public RegistryConfig withFleet(FleetSettings f) {
    return new RegistryConfig(
        dataDir, database, maxArtifactBytes, adminToken, f, artifactGcMinAge, telemetry);
  }

  public RegistryConfig withTelemetry(TelemetrySettings t) {
    return new RegistryConfig(
        dataDir, database, maxArtifactBytes, adminToken, fleet, artifactGcMinAge, t);
  }

  @Override
  public String toString() {
    return "RegistryConfig[dataDir="
        + dataDir
        + ", database="
        + database
        + ", maxArtifactBytes="
        + maxArtifactBytes
        + ", adminToken="
        + (adminToken.isPresent() ? "***" : "(generated)")
        + ", fleet="
        + fleet
        + ", artifactGcMinAge="
        + artifactGcMinAge
        + ", telemetry="
        + telemetry
        + "]";
  }
}
