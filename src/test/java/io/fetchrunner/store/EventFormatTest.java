package io.fetchrunner.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.AppConfig;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.UrlState;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stored events keep their instants to the nanosecond, written as numbers; events stored by
 * earlier versions, with instants as ISO text, read back the same. Large payloads (a big
 * job's URL list) are stored gzipped. A job's events and snapshots read back alike from H2
 * and from PostgreSQL.
 */
class EventFormatTest {
  static ActorTestKit testKit;
  static Serialization serialization;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("event-format", AppConfig.load(
        ConfigFactory.parseString("pekko.actor.provider = local")));
    serialization = SerializationExtension.get(testKit.system().classicSystem());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static final Instant AT = Instant.parse("2026-11-29T08:40:12.123456789Z");
  private static final Job.UrlFetched EVENT = new Job.UrlFetched(7,
      new UrlResult(UrlState.SUCCEEDED, 200, 1024, 12, 1, null, "text/plain", null, List.of(),
          List.of()), AT);

  private static Object readBack(byte[] bytes, Object like) {
    var serializer = serialization.findSerializerFor(like);
    return serialization.deserialize(bytes, serializer.identifier(),
        Serializers.manifestFor(serializer, like)).get();
  }

  @Test
  void instantsAreStoredAsNumbersToTheNanosecond() throws Exception {
    byte[] bytes = serialization.serialize(EVENT).get();
    assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains("2026-11-29"),
        "no ISO text in the stored event");
    assertEquals(EVENT, readBack(bytes, EVENT));
  }

  @Test
  void eventsWithInstantsAsTextReadBack() throws Exception {
    ObjectMapper cbor = JacksonObjectMapperProvider.get(testKit.system().classicSystem())
        .getOrCreate("jackson-cbor", Optional.empty()).copy()
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    byte[] older = cbor.writeValueAsBytes(EVENT);
    assertTrue(new String(older, StandardCharsets.ISO_8859_1).contains("2026-11-29T08:40:12"),
        "the older form has the instant as text");
    assertEquals(EVENT, readBack(older, EVENT));
  }

  @Test
  void aLargeSubmissionIsStoredCompressedAndASmallResultAsItIs() throws Exception {
    List<String> urls = IntStream.range(0, 10_000)
        .mapToObj(i -> "https://api.example.com/v1/items/" + i + "?fields=all").toList();
    var submitted = new Job.JobSubmitted(new io.fetchrunner.job.JobSpec("j", "big", urls, 64,
        30_000, AT, null, Map.of()));
    byte[] stored = serialization.serialize(submitted).get();
    long urlBytes = urls.stream().mapToLong(String::length).sum();
    assertTrue(stored.length < urlBytes / 4,
        "10,000 URLs (" + urlBytes + " bytes) stored in " + stored.length + " bytes");
    assertEquals(submitted, readBack(stored, submitted));
    assertTrue(Journal.gzipped(stored));
    // The same payload as stores written before compression hold it.
    byte[] asBefore = Journal.payload(stored);
    assertTrue(asBefore.length > urlBytes);
    assertEquals(submitted, readBack(asBefore, submitted), "uncompressed payloads still read");

    byte[] small = serialization.serialize(EVENT).get();
    assertFalse(Journal.gzipped(small), "a URL's result is not worth compressing");
  }

  /**
   * What a job stores, read straight from each kind of store: events in sequence, the large
   * submission gzipped, the results in batches, instants as numbers equal to what the API shows;
   * and the job recovered from its snapshots by a second start answers the same.
   */
  @ParameterizedTest(name = "on {0}")
  @EnumSource(TestStore.Kind.class)
  void aJobIsStoredAndRecoveredAlikeOnEitherStore(TestStore.Kind kind, @TempDir Path dataDir)
      throws Exception {
    int total = 400;
    try (TestStore store = TestStore.open(kind, dataDir);
        TargetServer target = new TargetServer()) {
      List<String> urls = IntStream.range(0, total)
          .mapToObj(i -> target.url("/delay/0?stored-as-written-" + "x".repeat(60) + "=" + i))
          .toList();
      String config = store.config() + "fetchrunner.jobs.snapshot-every = 100\n";
      String id;
      JsonNode job;
      try (FetchRunner service = Services.start(dataDir, config)) {
        Api api = new Api(service.port());
        id = api.submit(Map.of("name", "stored", "urls", urls, "concurrency", 50));
        job = api.awaitFinished(id, Duration.ofSeconds(60));
        assertEquals(total, job.get("succeeded").asInt(), job::toString);
      }
      List<Journal.StoredEvent> events = Journal.events(store, id);
      for (int i = 0; i < events.size(); i++) assertEquals(i + 1, events.get(i).sequenceNr());
      Journal.StoredEvent submitted = events.get(0);
      assertEquals("JobSubmitted", submitted.type());
      assertTrue(submitted.gzipped(), "the submission's URL list is over 32 KiB");
      JsonNode at = submitted.fields().get("spec").get("submittedAt");
      assertTrue(at.isNumber(), "an instant is stored as a number: " + at);
      java.math.BigDecimal seconds = at.decimalValue();
      assertEquals(Instant.parse(job.get("submittedAt").asText()), Instant.ofEpochSecond(
          seconds.longValue(), seconds.remainder(java.math.BigDecimal.ONE).movePointRight(9)
              .intValue()));
      int[] results = Journal.resultsPerUrl(store, id, total);
      for (int i = 0; i < total; i++) assertEquals(1, results[i], "results of URL " + i);
      List<Journal.StoredEvent> batches = events.stream()
          .filter(e -> e.type().equals("UrlsFetched")).toList();
      assertTrue(batches.size() < total / 2, "results are stored in batches, not one row each: "
          + batches.size() + " rows for " + total + " results");
      try (var c = store.connect(); var st = c.prepareStatement(
          "SELECT COUNT(*) FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
        st.setString(1, "Job|" + id);
        try (var rs = st.executeQuery()) {
          rs.next();
          assertTrue(rs.getInt(1) >= 1, "a job of " + events.size() + " events has snapshots");
        }
      }
      try (FetchRunner service = Services.start(dataDir, config)) {
        assertEquals(job, new Api(service.port()).get("/jobs/" + id).body(),
            "recovered from its snapshot and the events after it");
      }
    }
  }
}
