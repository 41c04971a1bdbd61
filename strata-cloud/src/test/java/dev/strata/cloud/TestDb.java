package dev.strata.cloud;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.registry.db.DatabaseConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;

/**
 * The databases the cloud's database-dependent tests run on: SQLite in the data directory, and
 * PostgreSQL in a fresh schema when {@code STRATA_TEST_POSTGRES_URL} is set ({@code eval "$(bash
 * .ci/postgres.sh)"}); without it the PostgreSQL variants are skipped with a message saying so.
 */
enum TestDb {
  SQLITE,
  POSTGRESQL;

  static final String ENV = "STRATA_TEST_POSTGRES_URL";

  /** The database for a test; empty means the cloud's default (SQLite in its data directory). */
  Optional<DatabaseConfig> config() {
    if (this == SQLITE) {
      return Optional.empty();
    }
    String url = System.getenv(ENV);
    assumeTrue(
        url != null && !url.isBlank(),
        ENV + " is not set: PostgreSQL variant skipped (run: eval \"$(bash .ci/postgres.sh)\")");
    String schema = "c_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    return Optional.of(DatabaseConfig.of(url).withSchema(schema));
  }

  static void drop(Optional<DatabaseConfig> config) {
    if (config.isEmpty() || config.get().schema().isEmpty()) {
      return;
    }
    try (Connection c = DriverManager.getConnection(config.get().url());
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + config.get().schema().get() + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test schema " + config.get().schema().get(), e);
    }
  }

  /** Where a data directory's registry lives, for a child process's command line. */
  static Path sqliteFile(Path dataDir) {
    return dataDir.resolve("registry.db");
  }
}
