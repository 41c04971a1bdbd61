package dev.strata.registry.db;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.registry.testing.TestDb;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(TestDb.class)
class DatabaseTest {
  @Parameter TestDb kind;
  @TempDir Path dir;
  DatabaseConfig config;

  @AfterEach
  void drop() {
    if (config != null) {
      TestDb.drop(config);
    }
  }

  private static long number(Database db, String sql) {
    return db.read(c -> Sql.queryOne(c, sql, rs -> rs.getLong(1)).orElseThrow());
  }

  private long count(Database db, String table) {
    return number(db, "SELECT COUNT(*) FROM " + table);
  }

  @Test
  void migratesOnceAndReopens() {
    config = kind.config(dir);
    try (Database db = Database.open(config)) {
      db.write(c -> Sql.update(c, "INSERT INTO settings (name, value) VALUES ('k', 'v')"));
    }
    try (Database db = Database.open(config)) {
      assertThat(count(db, "settings")).isEqualTo(1);
      String sql =
          "SELECT version FROM flyway_schema_history WHERE version IS NOT NULL AND success = "
              + (db.vendor() == Database.Vendor.SQLITE ? "1" : "true");
      java.util.List<String> versions = db.read(c -> Sql.query(c, sql, rs -> rs.getString(1)));
      assertThat(versions).containsExactly("1", "2", "3");
    }
  }

  @Test
  void aFailedTransactionLeavesNothing() {
    config = kind.config(dir);
    try (Database db = Database.open(config)) {
      assertThatThrownBy(
              () ->
                  db.write(
                      c -> {
                        Sql.update(c, "INSERT INTO settings (name, value) VALUES ('a', '1')");
                        Sql.update(c, "INSERT INTO settings (name, value) VALUES ('b', '2')");
                        throw new IllegalStateException("crash half-way");
                      }))
          .hasMessage("crash half-way");
      assertThat(count(db, "settings")).isZero();
    }
  }

  @Test
  void constraintViolationsMapToErrorCodes() {
    config = kind.config(dir);
    try (Database db = Database.open(config)) {
      db.write(c -> Sql.update(c, "INSERT INTO settings (name, value) VALUES ('a', '1')"));
      assertCode(
          () ->
              db.write(c -> Sql.update(c, "INSERT INTO settings (name, value) VALUES ('a', '2')")),
          ErrorCode.ALREADY_EXISTS,
          "already exists");
      // foreign keys are enforced (SQLite needs them switched on per connection)
      assertCode(
          () ->
              db.write(
                  c ->
                      Sql.update(
                          c,
                          "INSERT INTO model_versions (model, version, stage, description,"
                              + " tags, created_at, updated_at) VALUES ('ghost', 1, 'STAGING', '', '{}', 0, 0)")),
          ErrorCode.FAILED_PRECONDITION,
          "reference");
    }
  }

  @Test
  void configNeverPrintsThePassword() {
    DatabaseConfig c = DatabaseConfig.of("jdbc:postgresql://h/db?user=u&password=hunter2");
    assertThat(c.toString()).doesNotContain("hunter2").contains("password=***");
    assertCode(
        () -> DatabaseConfig.of("jdbc:mysql://h/db?password=hunter2"),
        ErrorCode.INVALID_ARGUMENT,
        "password=***");
  }
}
