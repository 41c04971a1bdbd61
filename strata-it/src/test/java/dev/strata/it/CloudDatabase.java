package dev.strata.it;

import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * One test's registry database for a {@code strata cloud} process: SQLite in the cloud's data
 * directory (its default), or a fresh PostgreSQL schema ({@link TestDb}: CI's server, or the
 * embedded one this test JVM starts); how the cloud is pointed at it, and how the test reaches into
 * it.
 */
record CloudDatabase(TestDb kind, Optional<DatabaseConfig> config) implements AutoCloseable {

  static CloudDatabase create(TestDb kind) {
    return new CloudDatabase(kind, kind.cloudConfig());
  }

  /** The {@code strata cloud} options (none for SQLite: the data directory's own file). */
  List<String> cloudOptions() {
    return config
        .map(c -> List.of("--database-url", c.url(), "--database-schema", c.schema().orElseThrow()))
        .orElse(List.of());
  }

  /** A connection to the registry of the cloud whose data directory is {@code cloudData}. */
  Connection connect(Path cloudData) throws SQLException {
    if (config.isEmpty()) {
      Connection c = DriverManager.getConnection(TestDb.sqliteUrl(cloudData.toAbsolutePath()));
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 10000"); // the cloud holds connections too
      }
      return c;
    }
    Connection c = DriverManager.getConnection(config.get().url());
    c.setSchema(config.get().schema().orElseThrow());
    return c;
  }

  /** Drops the PostgreSQL schema; the SQLite file goes with the test's directory. */
  @Override
  public void close() {
    TestDb.drop(config);
  }
}
