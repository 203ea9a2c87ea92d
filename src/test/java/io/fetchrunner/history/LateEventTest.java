package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal write that commits long after later ones: its ordering is a gap the read side reads
 * past at once, and its event still reaches the history when it commits, below the offset: on
 * H2, and on PostgreSQL, where several nodes write one journal.
 */
class LateEventTest {

  @ParameterizedTest
  @EnumSource(TestStore.Kind.class)
  void anEventWrittenIntoAGapLongAfterItWasReadPastIsInTheHistory(TestStore.Kind kind,
      @TempDir Path dataDir) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (TestStore store = TestStore.open(kind, dataDir);
         TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, store.config())) {
      Api api = new Api(service.port());
      String first = api.submit(Map.of("name", "first " + run,
          "urls", List.of(target.url("/delay/1?a=0"), target.url("/delay/1?a=1"))));
      api.awaitFinished(first, Duration.ofSeconds(30));
      api.awaitReadSide(Duration.ofSeconds(30));

      // A job event as the service stores it (the first job's submission, another id and
      // name), written by a transaction that stays open while the service writes on.
      String lateId = UUID.randomUUID().toString();
      try (Connection late = DriverManager.getConnection(service.settings().store().url(),
          service.settings().store().user(), service.settings().store().password())) {
        late.setAutoCommit(false);
        long ordering = insertLate(late, first, lateId, "late " + run);

        String second = api.submit(Map.of("name", "second " + run,
            "urls", List.of(target.url("/delay/1?b=0"))));
        api.awaitFinished(second, Duration.ofSeconds(30));
        api.awaitListed(second);
        JsonNode status = api.get("/admin/read-side").body();
        assertTrue(status.get("offset").asLong() > ordering, status::toString);
        assertEquals(1, status.get("gaps").asLong(), status::toString);
        // Longer than the 10 s the read side used to wait at a gap before passing it for good.
        Api.sleep(11_000);
        late.commit();
      }
      JsonNode listed = null;
      for (int i = 0; i < 200 && listed == null; i++) {
        for (JsonNode j : api.get("/jobs?name=late%20" + run).body().get("jobs")) {
          if (j.get("id").asText().equals(lateId)) listed = j;
        }
        if (listed == null) Api.sleep(50);
      }
      assertTrue(listed != null, "the late event never reached the history: "
          + api.get("/admin/read-side").body());
      assertEquals(2, listed.get("total").asInt(), listed::toString);
      assertEquals(2, api.getText("/jobs/" + lateId + "/results").body().split("\n").length);
      api.awaitReadSide(Duration.ofSeconds(30));
      assertEquals(0, api.get("/admin/read-side").body().get("gaps").asLong());
    }
  }

  /** Inserts, in {@code c}'s open transaction, job {@code id}'s submission; its ordering. */
  private static long insertLate(Connection c, String like, String id, String name)
      throws Exception {
    int serializer;
    String manifest;
    ObjectNode fields;
    try (PreparedStatement st = c.prepareStatement("SELECT \"event_ser_id\","
        + " \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\""
        + " WHERE \"persistence_id\" = ? AND \"sequence_number\" = 1")) {
      st.setString(1, "Job|" + like);
      try (ResultSet rs = st.executeQuery()) {
        assertTrue(rs.next());
        serializer = rs.getInt(1);
        manifest = rs.getString(2);
        fields = (ObjectNode) Journal.fields(rs.getBytes(3));
      }
    }
    assertTrue(manifest.endsWith("JobSubmitted"), manifest);
    ((ObjectNode) fields.get("spec")).put("id", id).put("name", name);
    try (PreparedStatement st = c.prepareStatement("INSERT INTO \"event_journal\""
        + " (\"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
        + " \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\")"
        + " VALUES (?, 1, 'late-writer', ?, '', ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
      st.setString(1, "Job|" + id);
      st.setLong(2, System.currentTimeMillis());
      st.setBytes(3, Journal.payloadOf(fields));
      st.setInt(4, serializer);
      st.setString(5, manifest);
      st.executeUpdate();
      try (ResultSet keys = st.getGeneratedKeys()) {
        keys.next();
        return keys.getLong("ordering");
      }
    }
  }
}
