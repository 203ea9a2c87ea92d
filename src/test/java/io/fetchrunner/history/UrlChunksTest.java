package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * URL lists stored in chunks read back URL by URL, in any order across jobs, also when the
 * cache holds less than one job: every result row is labelled with its own URL.
 */
class UrlChunksTest {
  @TempDir Path dataDir;

  @Test
  void everyUrlReadsBackThroughASmallCache() throws Exception {
    List<String> a = IntStream.range(0, 2_500).mapToObj(i -> "http://a.example/" + i).toList();
    List<String> b = IntStream.range(0, 1_200).mapToObj(i -> "http://b.example/x" + i).toList();
    try (HistoryStore store = TestStores.h2(dataDir, "chunks", 1);
         Connection c = store.connect()) {
      UrlChunks.store(c, "a", a);
      UrlChunks.store(c, "b", b);
      // Room for about one chunk: reading across jobs and chunks evicts all the time.
      var cache = new UrlChunks.Cache(20_000);
      for (int i = 0; i < 2_500; i++) {
        int j = (i * 7) % 2_500; // jumps between the chunks of a
        assertEquals(a.get(j), cache.url(c, "a", j));
        assertEquals(b.get(i % 1_200), cache.url(c, "b", i % 1_200));
      }
      assertEquals("?", cache.url(c, "b", 1_999)); // past the end of b's last chunk
      assertEquals("?", cache.url(c, "nobody", 3));
      UrlChunks.store(c, "a", b); // stored again (a table mended by hand): replaced
      assertEquals(b.get(1_100), UrlChunks.at(UrlChunks.load(c, "a", 1), 1_100));
      assertEquals(List.of(), List.of(UrlChunks.load(c, "a", 2)));
    }
  }
}
