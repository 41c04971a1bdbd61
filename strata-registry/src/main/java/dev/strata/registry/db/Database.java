package dev.strata.registry.db;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's relational store: a small connection pool over SQLite (embedded, WAL mode, foreign
 * keys on, busy timeout) or PostgreSQL, migrated with Flyway on open. Every change goes through
 * {@link #write}, which runs it in one transaction: a crash at any point leaves either all of it or
 * none of it.
 *
 * <p>SQLite allows one writer at a time; write transactions begin {@code IMMEDIATE} and are also
 * serialised in this process, so they queue fairly here instead of spinning in SQLite's busy
 * handler. Reads run in autocommit mode and, under WAL, never wait for the writer.
 */
public final class Database implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  /** The database products the registry runs on. */
  public enum Vendor {
    SQLITE,
    POSTGRESQL
  }

  private final HikariDataSource dataSource;
  private final Vendor vendor;
  private final ReentrantLock writeLock = new ReentrantLock(true);

  private Database(HikariDataSource dataSource, Vendor vendor) {
    this.dataSource = dataSource;
    this.vendor = vendor;
  }

  /** Opens the database, creating it where it is an absent SQLite file, and migrates it. */
  public static Database open(DatabaseConfig config) {
    requireNonNull(config, "config");
    Vendor vendor = config.isSqlite() ? Vendor.SQLITE : Vendor.POSTGRESQL;
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("strata-registry");
    hc.setJdbcUrl(config.url());
    config.user().ifPresent(hc::setUsername);
    config.password().ifPresent(hc::setPassword);
    hc.setMaximumPoolSize(config.maxPoolSize());
    hc.setMinimumIdle(1);
    hc.setAutoCommit(true);
    if (vendor == Vendor.SQLITE) {
      createParentDirectory(config.url());
      hc.addDataSourceProperty("journal_mode", "WAL");
      // FULL: a committed transaction survives a power loss too, not only a killed process.
      hc.addDataSourceProperty("synchronous", "FULL");
      hc.addDataSourceProperty("foreign_keys", "true");
      hc.addDataSourceProperty("busy_timeout", String.valueOf(config.busyTimeout().toMillis()));
      hc.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    } else {
      config.schema().ifPresent(hc::setSchema);
    }
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw StrataException.unavailable(
          "cannot connect to database %s: %s", DatabaseConfig.redact(config.url()), e.getMessage());
    }
    try {
      migrate(ds, vendor, config);
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds, vendor);
  }

  private static void migrate(HikariDataSource ds, Vendor vendor, DatabaseConfig config) {
    var flyway =
        Flyway.configure()
            .dataSource(ds)
            .locations("classpath:db/migration/common")
            .failOnMissingLocations(true);
    config.schema().ifPresent(s -> flyway.schemas(s).createSchemas(true));
    MigrateResult result = flyway.load().migrate();
    LOG.info(
        "registry database {} ({}) at schema version {} ({} migrations applied)",
        DatabaseConfig.redact(config.url()),
        vendor.name().toLowerCase(Locale.ROOT),
        result.targetSchemaVersion == null
            ? result.initialSchemaVersion
            : result.targetSchemaVersion,
        result.migrationsExecuted);
  }

  private static void createParentDirectory(String url) {
    String file = url.substring("jdbc:sqlite:".length());
    int q = file.indexOf('?');
    if (q >= 0) {
      file = file.substring(0, q);
    }
    if (file.isEmpty() || file.equals(":memory:") || file.startsWith("file:")) {
      return;
    }
    // SQLite gives its -wal and -shm files the database file's permissions: 0600 for all three.
    Path db = Path.of(file).toAbsolutePath();
    PrivateFiles.createDirectories(db.getParent());
    PrivateFiles.createFile(db);
  }

  public Vendor vendor() {
    return vendor;
  }

  /** Runs {@code work} in one transaction and commits it; any failure rolls all of it back. */
  public <T> T write(SqlWork<T> work) {
    requireNonNull(work, "work");
    boolean serialise = vendor == Vendor.SQLITE;
    if (serialise) {
      writeLock.lock();
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw translate(e);
    } finally {
      if (serialise) {
        writeLock.unlock();
      }
    }
  }

  /** Runs read-only {@code work} on a connection in autocommit mode. */
  public <T> T read(SqlWork<T> work) {
    requireNonNull(work, "work");
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /** Maps constraint violations to the codes a caller can act on; anything else is internal. */
  static StrataException translate(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (state.equals("23505")
        || message.contains("UNIQUE constraint failed")
        || message.contains("PRIMARY KEY constraint failed")) {
      return new StrataException(ErrorCode.ALREADY_EXISTS, "already exists: " + message, e);
    }
    if (state.equals("23503") || message.contains("FOREIGN KEY constraint failed")) {
      return new StrataException(
          ErrorCode.FAILED_PRECONDITION, "still referenced or missing reference: " + message, e);
    }
    if (message.contains("SQLITE_BUSY") || state.equals("40001") || state.equals("40P01")) {
      return new StrataException(ErrorCode.UNAVAILABLE, "database busy, retry: " + message, e);
    }
    return StrataException.internal("database error: " + message, e);
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
