package dev.strata.registry.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The few JDBC idioms the registry needs: prepared statements with positional arguments (String,
 * Long, Integer, Double or a typed {@link Null}), mapped rows.
 */
public final class Sql {
  private Sql() {}

  /** Maps the current row of a result set. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** A SQL NULL of a given JDBC type, for nullable arguments. */
  public record Null(int sqlType) {}

  public static final Null NULL_TEXT = new Null(Types.VARCHAR);
  public static final Null NULL_BIGINT = new Null(Types.BIGINT);

  /** The argument, or a typed NULL where it is empty. */
  public static Object text(Optional<String> value) {
    return value.<Object>map(v -> v).orElse(NULL_TEXT);
  }

  /** The argument, or a typed NULL where it is empty. */
  public static Object bigint(Optional<Long> value) {
    return value.<Object>map(v -> v).orElse(NULL_BIGINT);
  }

  public static <T> List<T> query(Connection c, String sql, RowMapper<T> mapper, Object... args)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(mapper.map(rs));
        }
        return rows;
      }
    }
  }

  public static <T> Optional<T> queryOne(
      Connection c, String sql, RowMapper<T> mapper, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(mapper.map(rs)) : Optional.empty();
      }
    }
  }

  public static int update(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      return ps.executeUpdate();
    }
  }

  /** Runs one statement for each argument list as a JDBC batch. */
  public static void batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (Object[] args : rows) {
        bind(ps, args);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** A nullable BIGINT column as an Optional. */
  public static Optional<Long> optionalLong(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? Optional.empty() : Optional.of(v);
  }

  private static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      int p = i + 1;
      switch (a) {
        case null -> throw new IllegalArgumentException("argument " + p + " is null: use Sql.Null");
        case String s -> ps.setString(p, s);
        case Long l -> ps.setLong(p, l);
        case Integer n -> ps.setLong(p, n);
        case Double d -> ps.setDouble(p, d);
        case Null n -> ps.setNull(p, n.sqlType());
        default -> throw new IllegalArgumentException("argument " + p + ": " + a.getClass());
      }
    }
  }
}
