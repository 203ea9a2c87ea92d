package io.fetchrunner.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.AppConfig;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.UrlState;
import io.fetchrunner.support.Journal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stored events keep their instants to the nanosecond, written as numbers; events stored by
 * earlier versions, with instants as ISO text, read back the same. Large payloads (a big
 * job's URL list) are stored gzipped.
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
    List<String> urls = java.util.stream.IntStream.range(0, 10_000)
        .mapToObj(i -> "https://api.example.com/v1/items/" + i + "?fields=all").toList();
    var submitted = new Job.JobSubmitted(new io.fetchrunner.job.JobSpec("j", "big", urls, 64,
        30_000, AT, null, java.util.Map.of()));
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
}
