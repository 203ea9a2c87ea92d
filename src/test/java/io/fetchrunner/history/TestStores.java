package io.fetchrunner.history;

import io.fetchrunner.Settings;
import io.fetchrunner.store.Schema;
import java.nio.file.Path;

/** A read-side store on a fresh H2 file with the service's schema, for tests. */
final class TestStores {
  private TestStores() {}

  static HistoryStore h2(Path dataDir, String name, int poolSize) throws Exception {
    var s = new Settings.Store("jdbc:h2:file:" + dataDir.resolve("fetchrunner")
        + ";WRITE_DELAY=0", "sa", "", true);
    Schema.apply(s);
    return new HistoryStore(s, name, poolSize);
  }
}
