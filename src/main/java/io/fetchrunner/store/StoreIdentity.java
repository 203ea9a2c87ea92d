package io.fetchrunner.store;

import io.fetchrunner.Settings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * The identity of a store: a random id written once, when the store is first used, in the
 * one row of {@code store_identity}. Two nodes share a store exactly when they read the same
 * id, whatever host name or address each uses to reach it.
 */
public final class StoreIdentity {
  private StoreIdentity() {}

  /** The store's id, made now if it has none (two nodes starting at once agree on one). */
  public static String of(Settings.Store store) throws SQLException {
    try (Connection c = Schema.connect(store)) {
      String id = read(c);
      if (id != null) return id;
      try (PreparedStatement st = c.prepareStatement(
          "INSERT INTO store_identity (id, store_id, created_at) VALUES (1, ?, ?)")) {
        st.setString(1, UUID.randomUUID().toString());
        st.setObject(2, OffsetDateTime.now());
        st.executeUpdate();
      } catch (SQLException e) {
        // Another node made it between our read and our insert: theirs stands.
      }
      id = read(c);
      if (id == null) throw new SQLException("the store's identity could not be written");
      return id;
    }
  }

  private static String read(Connection c) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT store_id FROM store_identity WHERE id = 1");
        ResultSet rs = st.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
