package io.fetchrunner.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a job's events straight from the store (the H2 file, or a test's PostgreSQL
 * database), independently of the service's code, so
 * tests can check what is actually stored. Open it only while no service uses the file.
 */
public final class Journal {
  private static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory());

  private Journal() {}

  /** One stored event: its simple type name, its decoded fields, whether it was gzipped. */
  public record StoredEvent(long sequenceNr, String type, JsonNode fields, boolean gzipped) {}

  public static List<StoredEvent> events(Path dataDir, String jobId) {
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner");
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      return events(c, jobId);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the journal in " + dataDir + ": " + e, e);
    }
  }

  /** As {@link #events(Path, String)}, from either kind of store. */
  public static List<StoredEvent> events(TestStore store, String jobId) {
    try (Connection c = store.connect()) {
      return events(c, jobId);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the journal of " + store + ": " + e, e);
    }
  }

  private static List<StoredEvent> events(Connection c, String jobId) throws Exception {
    List<StoredEvent> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(
             "SELECT \"sequence_number\", \"event_ser_manifest\", \"event_payload\""
                 + " FROM \"event_journal\" WHERE \"persistence_id\" = ?"
                 + " ORDER BY \"sequence_number\"")) {
      st.setString(1, "Job|" + jobId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String manifest = rs.getString(2);
          String type = manifest.substring(manifest.lastIndexOf('$') + 1);
          byte[] stored = rs.getBytes(3);
          out.add(new StoredEvent(rs.getLong(1), type, CBOR.readTree(payload(stored)),
              gzipped(stored)));
        }
      }
    }
    return out;
  }

  /** Whether a stored payload is gzipped (large ones are: see fetchrunner-runtime.conf). */
  public static boolean gzipped(byte[] stored) {
    return stored.length > 2 && (stored[0] & 0xff) == 0x1f && (stored[1] & 0xff) == 0x8b;
  }

  /** The CBOR of a stored payload, gzipped or not. */
  public static byte[] payload(byte[] stored) throws IOException {
    if (!gzipped(stored)) return stored;
    try (var in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(stored))) {
      return in.readAllBytes();
    }
  }

  /** A stored payload's fields (as {@link StoredEvent#fields}), gzipped or not. */
  public static JsonNode fields(byte[] stored) throws IOException {
    return CBOR.readTree(payload(stored));
  }

  /** Fields as a stored payload (CBOR, not gzipped: either form reads back). */
  public static byte[] payloadOf(JsonNode fields) throws IOException {
    return CBOR.writeValueAsBytes(fields);
  }

  /** How many results each URL index has in the journal (UrlsFetched, or UrlFetched of old). */
  public static int[] resultsPerUrl(Path dataDir, String jobId, int total) {
    return resultsPerUrl(events(dataDir, jobId), total);
  }

  public static int[] resultsPerUrl(TestStore store, String jobId, int total) {
    return resultsPerUrl(events(store, jobId), total);
  }

  private static int[] resultsPerUrl(List<StoredEvent> events, int total) {
    int[] counts = new int[total];
    for (StoredEvent e : events) {
      if (e.type().equals("UrlFetched")) counts[e.fields().get("index").asInt()]++;
      if (e.type().equals("UrlsFetched")) {
        e.fields().get("results").forEach(r -> counts[r.get("index").asInt()]++);
      }
    }
    return counts;
  }
}
