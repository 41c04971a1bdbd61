package dev.strata.registry.auth;

import static java.util.Objects.requireNonNull;

import dev.strata.api.ApiKey;
import dev.strata.api.CreateApiKeyRequest;
import dev.strata.api.IssuedApiKey;
import dev.strata.api.Role;
import dev.strata.core.StrataException;
import dev.strata.registry.db.Database;
import dev.strata.registry.db.Sql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Management API keys with roles, stored hashed. */
public final class ApiKeys {
  static final String PREFIX = "stk";

  private final Database db;
  private final Secrets secrets;
  private final Clock clock;

  public ApiKeys(Database db, Secrets secrets, Clock clock) {
    this.db = requireNonNull(db, "db");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
  }

  public IssuedApiKey create(CreateApiKeyRequest r) {
    requireNonNull(r, "request");
    String id = secrets.newId();
    String secret = secrets.newSecret();
    Instant now = clock.instant();
    Optional<Long> expires = r.ttl().map(t -> now.plus(t).toEpochMilli());
    ApiKey key =
        db.write(
            c -> {
              Sql.update(
                  c,
                  "INSERT INTO api_keys (id, name, role, secret_hash, created_at, expires_at,"
                      + " revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  id,
                  r.name(),
                  r.role().name(),
                  Secrets.hash(secret),
                  now.toEpochMilli(),
                  Sql.bigint(expires),
                  Sql.NULL_BIGINT);
              return find(c, id).orElseThrow();
            });
    return new IssuedApiKey(key, Secrets.format(PREFIX, id, secret));
  }

  public List<ApiKey> list() {
    return db.read(
        c -> Sql.query(c, "SELECT * FROM api_keys ORDER BY created_at, id", ApiKeys::map));
  }

  public ApiKey get(String id) {
    return db.read(c -> find(c, id))
        .orElseThrow(() -> StrataException.notFound("api key %s: not found", id));
  }

  /** Revokes a key; it stays listed, marked revoked. */
  public ApiKey revoke(String id) {
    long now = clock.millis();
    return db.write(
        c -> {
          int n =
              Sql.update(
                  c,
                  "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                  now,
                  id);
          Optional<ApiKey> k = find(c, id);
          if (n == 0 && k.isEmpty()) {
            throw StrataException.notFound("api key %s: not found", id);
          }
          return k.orElseThrow();
        });
  }

  /** The principal of a valid, unrevoked, unexpired key token. */
  Optional<UserPrincipal> authenticate(String token) {
    Optional<Secrets.Token> t = Secrets.parse(token, PREFIX);
    if (t.isEmpty()) {
      return Optional.empty();
    }
    Optional<Row> row =
        db.read(
            c ->
                Sql.queryOne(
                    c,
                    "SELECT * FROM api_keys WHERE id = ?",
                    rs -> new Row(map(rs), rs.getString("secret_hash")),
                    t.get().id()));
    if (row.isEmpty()
        || !Secrets.matches(t.get().secret(), row.get().hash())
        || !row.get().key().isUsableAt(clock.instant())) {
      return Optional.empty();
    }
    ApiKey k = row.get().key();
    return Optional.of(new UserPrincipal(k.id(), k.name(), k.role()));
  }

  private record Row(ApiKey key, String hash) {}

  private static Optional<ApiKey> find(java.sql.Connection c, String id) throws SQLException {
    requireNonNull(id, "id");
    return Sql.queryOne(c, "SELECT * FROM api_keys WHERE id = ?", ApiKeys::map, id);
  }

  private static ApiKey map(ResultSet rs) throws SQLException {
    return new ApiKey(
        rs.getString("id"),
        rs.getString("name"),
        Role.valueOf(rs.getString("role")),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Sql.optionalLong(rs, "expires_at").map(Instant::ofEpochMilli),
        Sql.optionalLong(rs, "revoked_at").map(Instant::ofEpochMilli));
  }
}
