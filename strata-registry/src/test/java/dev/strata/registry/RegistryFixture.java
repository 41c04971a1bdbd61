package dev.strata.registry;

import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.fleet.FleetSettings;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.time.Duration;

/** A registry on a test database with a hand-moved clock; reopenable to test restarts. */
public final class RegistryFixture implements AutoCloseable {
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

  private final RegistryConfig config;
  public final MutableClock clock = MutableClock.startingNow();
  private Registry registry;

  public RegistryFixture(TestDb db, Path dir) {
    DatabaseConfig dbc = db.config(dir);
    this.config =
        RegistryConfig.defaults(dir)
            .withDatabase(dbc)
            .withMaxArtifactBytes(1 << 20)
            .withAdminToken(ADMIN_TOKEN)
            .withFleet(
                new FleetSettings(
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(30),
                    Duration.ofMinutes(2),
                    Duration.ofHours(1), // tests flush by hand
                    Duration.ofHours(24)));
    this.registry = Registry.open(config, clock);
  }

  public Registry registry() {
    return registry;
  }

  /** Closes and opens the registry again on the same data, as a restart would. */
  public Registry reopen() {
    registry.close();
    registry = Registry.open(config, clock);
    return registry;
  }

  public RegistryConfig config() {
    return config;
  }

  @Override
  public void close() {
    try {
      registry.close();
    } finally {
      TestDb.drop(config.database());
    }
  }
}
