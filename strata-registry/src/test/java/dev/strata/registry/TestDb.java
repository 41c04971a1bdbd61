package dev.strata.registry;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.registry.db.DatabaseConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The databases every registry test runs on. PostgreSQL needs {@code STRATA_TEST_POSTGRES_URL} (see
 * {@code .ci/postgres.sh}; CI always sets it); without it those variants are skipped with a message
 * saying so. Each PostgreSQL test gets its own schema, dropped afterwards.
 */
public enum TestDb {
  SQLITE,
  POSTGRESQL;

  public static final String ENV = "STRATA_TEST_POSTGRES_URL";

  /** The database config for a test, in {@code dir} (SQLite) or a fresh schema (PostgreSQL). */
  public DatabaseConfig config(Path dir) {
    if (this == SQLITE) {
      return DatabaseConfig.of("jdbc:sqlite:" + dir.resolve("registry.db"));
    }
    String url = System.getenv(ENV);
    assumeTrue(
        url != null && !url.isBlank(),
        ENV + " is not set: PostgreSQL variant skipped (run: eval \"$(bash .ci/postgres.sh)\")");
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    return DatabaseConfig.of(url).withSchema(schema);
  }

  /** Drops a PostgreSQL test schema; nothing for SQLite (the temp dir goes away). */
  public static void dropSchema(DatabaseConfig config) {
    if (config.isSqlite() || config.schema().isEmpty()) {
      return;
    }
    try (Connection c = DriverManager.getConnection(config.url());
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + config.schema().get() + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test schema " + config.schema().get(), e);
    }
  }
}
