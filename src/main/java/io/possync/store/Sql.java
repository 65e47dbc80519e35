package io.possync.store;

import java.sql.Connection;
import java.sql.SQLException;

/** SQL run on one connection of a {@link SqlDatabase}. */
@FunctionalInterface
interface Sql<T> {
  T run(Connection c) throws SQLException;
}
