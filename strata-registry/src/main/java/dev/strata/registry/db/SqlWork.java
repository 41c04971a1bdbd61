package dev.strata.registry.db;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done on one connection, inside a transaction when written through {@link Database}. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection connection) throws SQLException;
}
