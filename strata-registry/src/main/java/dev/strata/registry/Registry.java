package dev.strata.registry;

import static java.util.Objects.requireNonNull;

import dev.strata.registry.artifact.ArtifactStore;
import dev.strata.registry.artifact.FileSystemArtifactStore;
import dev.strata.registry.auth.AdminToken;
import dev.strata.registry.auth.ApiKeys;
import dev.strata.registry.auth.Authenticator;
import dev.strata.registry.auth.Secrets;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.PrivateFiles;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.deploy.JdbcDeploymentService;
import dev.strata.registry.fleet.FleetService;
import dev.strata.registry.fleet.JdbcFleetService;
import dev.strata.registry.manifest.ManifestSigner;
import dev.strata.registry.manifest.SigningKeys;
import dev.strata.registry.model.JdbcModelRegistry;
import dev.strata.registry.model.ModelRegistry;
import dev.strata.registry.samples.SampleStore;
import dev.strata.registry.telemetry.JdbcTelemetryService;
import dev.strata.registry.telemetry.TelemetryService;
import dev.strata.registry.telemetry.TelemetryWriter;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud's registry, opened from its configuration: database (migrated), artifact and sample
 * stores, signing key, and the services the REST layer calls. Closing it writes the pending
 * heartbeats and closes the database.
 */
public final class Registry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

  private final RegistryConfig config;
  private final Database db;
  private final ArtifactStore artifacts;
  private final ArtifactStore sampleInputs;
  private final ManifestSigner signer;
  private final AdminToken adminToken;
  private final ModelRegistry models;
  private final JdbcFleetService fleet;
  private final DeploymentService deployments;
  private final SampleStore samples;
  private final JdbcTelemetryService telemetry;
  private final ApiKeys apiKeys;
  private final Authenticator authenticator;
  private final NodeApi nodeApi;
  private final ScheduledExecutorService flusher;

  private Registry(RegistryConfig config, Clock clock, Database db) {
    this.config = config;
    this.db = db;
    Secrets secrets = Secrets.create();
    this.artifacts = FileSystemArtifactStore.open(config.dataDir().resolve("artifacts"));
    this.sampleInputs = FileSystemArtifactStore.open(config.dataDir().resolve("samples"));
    this.signer = new ManifestSigner(SigningKeys.loadOrCreate(config.dataDir().resolve("keys")));
    this.adminToken = AdminToken.initialise(db, config.adminToken(), secrets);
    this.models = new JdbcModelRegistry(db, artifacts, signer, clock, config.maxArtifactBytes());
    this.fleet =
        new JdbcFleetService(
            db,
            secrets,
            clock,
            config.fleet(),
            signer.publicKeyBase64(),
            new TelemetryWriter(db, clock));
    this.deployments = new JdbcDeploymentService(db, fleet, clock);
    this.telemetry = new JdbcTelemetryService(db, clock, config.telemetry(), fleet, deployments);
    this.samples = new SampleStore(db, sampleInputs, deployments, fleet, secrets, clock);
    this.apiKeys = new ApiKeys(db, secrets, clock);
    this.authenticator = new Authenticator(adminToken, apiKeys, fleet);
    this.nodeApi = new NodeApi(fleet, deployments, models, samples, config.fleet());
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "strata-registry-housekeeping");
              t.setDaemon(true);
              return t;
            });
    long every = config.fleet().flushInterval().toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
    long prune = config.telemetry().pruneInterval().toMillis();
    flusher.scheduleWithFixedDelay(this::pruneQuietly, 0, prune, TimeUnit.MILLISECONDS);
  }

  /** Opens the registry: creates what is missing, migrates the database, sweeps crash leftovers. */
  public static Registry open(RegistryConfig config, Clock clock) {
    requireNonNull(config, "config");
    requireNonNull(clock, "clock");
    PrivateFiles.createDirectories(config.dataDir());
    Database db = Database.open(config.database());
    try {
      return new Registry(config, clock, db);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  private void flushQuietly() {
    try {
      fleet.flush();
    } catch (RuntimeException e) {
      LOG.warn("cannot write heartbeats to the database; will retry", e);
    }
  }

  private void pruneQuietly() {
    try {
      telemetry.prune();
    } catch (RuntimeException e) {
      LOG.warn("cannot delete old telemetry; will retry", e);
    }
  }

  public RegistryConfig config() {
    return config;
  }

  public ModelRegistry models() {
    return models;
  }

  public FleetService fleet() {
    return fleet;
  }

  public DeploymentService deployments() {
    return deployments;
  }

  public SampleStore samples() {
    return samples;
  }

  /** The telemetry edge nodes reported. */
  public TelemetryService telemetry() {
    return telemetry;
  }

  public ApiKeys apiKeys() {
    return apiKeys;
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  /** The node-facing operations. */
  public NodeApi nodes() {
    return nodeApi;
  }

  public ManifestSigner signer() {
    return signer;
  }

  public Database database() {
    return db;
  }

  /**
   * The admin token generated by this start, for the composition root to show once; empty when
   * configured or generated by an earlier start.
   */
  public Optional<String> generatedAdminToken() {
    return adminToken.generatedToken();
  }

  /** Removes unreferenced artifacts and sample inputs older than the configured grace period. */
  public void collectGarbage() {
    models.collectGarbage(config.artifactGcMinAge());
    samples.collectGarbage(config.artifactGcMinAge());
  }

  @Override
  public void close() {
    flusher.shutdown();
    try {
      flusher.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      fleet.flush();
    } finally {
      artifacts.close();
      sampleInputs.close();
      db.close();
    }
  }
}
