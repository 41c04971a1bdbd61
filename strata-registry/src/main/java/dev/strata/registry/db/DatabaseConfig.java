package dev.strata.registry.db;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the registry's database is and how to connect to it.
 *
 * @param url a JDBC URL: {@code jdbc:sqlite:<file>} (embedded, the default) or {@code
 *     jdbc:postgresql://host:port/db}
 * @param user the user name, when not in the URL
 * @param password the password, when not in the URL; never logged nor printed by {@link #toString}
 * @param schema the PostgreSQL schema to use (created when missing); empty for the default
 * @param maxPoolSize the most connections kept open
 * @param busyTimeout how long a SQLite writer waits for another process's lock before failing
 */
public record DatabaseConfig(
    String url,
    Optional<String> user,
    Optional<String> password,
    Optional<String> schema,
    int maxPoolSize,
    Duration busyTimeout) {
  public DatabaseConfig {
    requireNonNull(url, "url");
    requireNonNull(user, "user");
    requireNonNull(password, "password");
    requireNonNull(schema, "schema");
    requireNonNull(busyTimeout, "busyTimeout");
    if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
      throw StrataException.invalid(
          "database url: %s (expected: jdbc:sqlite:<file> or jdbc:postgresql://...)", redact(url));
    }
    if (maxPoolSize < 1) {
      throw StrataException.invalid("maxPoolSize: %d (expected: >= 1)", maxPoolSize);
    }
    if (busyTimeout.isNegative()) {
      throw StrataException.invalid("busyTimeout: %s (expected: >= 0)", busyTimeout);
    }
    schema.ifPresent(
        s -> {
          if (!s.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw StrataException.invalid("schema: %s (expected: [a-z_][a-z0-9_]*)", s);
          }
        });
  }

  /** An embedded SQLite database at the given JDBC URL with default settings. */
  public static DatabaseConfig of(String url) {
    return new DatabaseConfig(
        url, Optional.empty(), Optional.empty(), Optional.empty(), 8, Duration.ofSeconds(10));
  }

  public DatabaseConfig withSchema(String schema) {
    return new DatabaseConfig(url, user, password, Optional.of(schema), maxPoolSize, busyTimeout);
  }

  public boolean isSqlite() {
    return url.startsWith("jdbc:sqlite:");
  }

  @Override
  public String toString() {
    return "DatabaseConfig[url="
        + redact(url)
        + ", user="
        + user.orElse("")
        + ", password="
        + (password.isPresent() ? "***" : "")
        + ", schema="
        + schema.orElse("")
        + ", maxPoolSize="
        + maxPoolSize
        + ", busyTimeout="
        + busyTimeout
        + "]";
  }

  /** The URL without a {@code password=...} query parameter, for messages and logs. */
  public static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
