package dev.strata.registry.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlitePragmasTest {
  @TempDir Path dir;

  private static String text(Database db, String sql) {
    return db.read(c -> Sql.queryOne(c, sql, rs -> rs.getString(1)).orElseThrow());
  }

  @Test
  void sqliteRunsInWalModeWithForeignKeysABusyTimeoutAndFullSync() {
    try (Database db = Database.open(DatabaseConfig.of("jdbc:sqlite:" + dir.resolve("r.db")))) {
      assertThat(db.vendor()).isEqualTo(Database.Vendor.SQLITE);
      assertThat(text(db, "PRAGMA journal_mode")).isEqualToIgnoringCase("wal");
      assertThat(text(db, "PRAGMA busy_timeout")).isEqualTo("10000");
      assertThat(text(db, "PRAGMA foreign_keys")).isEqualTo("1");
      assertThat(text(db, "PRAGMA synchronous")).isEqualTo("2"); // FULL
    }
  }
}
