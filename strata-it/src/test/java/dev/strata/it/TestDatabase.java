package dev.strata.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The registry databases the cloud runs on in these tests: SQLite in the cloud's data directory
 * (its default), and PostgreSQL in a fresh schema per test when {@code STRATA_TEST_POSTGRES_URL} is
 * set ({@code eval "$(bash .ci/postgres.sh)"}; CI always sets it). Without it the PostgreSQL
 * variants are skipped with a message saying how to run them.
 */
enum TestDatabase {
  SQLITE,
  POSTGRESQL;

  static final String POSTGRES_ENV = "STRATA_TEST_POSTGRES_URL";

  /** A fresh database for one test (skips the test when PostgreSQL is not configured). */
  Fresh create() {
    if (this == SQLITE) {
      return new Fresh(this, Optional.empty(), Optional.empty());
    }
    String url = System.getenv(POSTGRES_ENV);
    assumeTrue(
        url != null && !url.isBlank(),
        POSTGRES_ENV
            + " is not set: PostgreSQL variant skipped (run: eval \"$(bash .ci/postgres.sh)\")");
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    return new Fresh(this, Optional.of(url), Optional.of(schema));
  }

  /** One test's database: how the cloud is pointed at it, and how the test reaches into it. */
  record Fresh(TestDatabase kind, Optional<String> url, Optional<String> schema)
      implements AutoCloseable {

    /** The {@code strata cloud} options (none for SQLite: the data directory's own file). */
    List<String> cloudOptions() {
      if (url.isEmpty()) {
        return List.of();
      }
      return List.of("--database-url", url.get(), "--database-schema", schema.orElseThrow());
    }

    /** A connection to the registry of the cloud whose data directory is {@code cloudData}. */
    Connection connect(Path cloudData) throws SQLException {
      if (url.isEmpty()) {
        Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + cloudData.resolve("registry.db").toAbsolutePath());
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA busy_timeout = 10000"); // the cloud holds connections too
        }
        return c;
      }
      Connection c = DriverManager.getConnection(url.get());
      c.setSchema(schema.orElseThrow());
      return c;
    }

    /** Drops the PostgreSQL schema; the SQLite file goes with the test's directory. */
    @Override
    public void close() throws SQLException {
      if (url.isEmpty()) {
        return;
      }
      try (Connection c = DriverManager.getConnection(url.get());
          Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS " + schema.orElseThrow() + " CASCADE");
      }
    }
  }
}
