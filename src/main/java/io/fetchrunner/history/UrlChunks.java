package io.fetchrunner.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A job's URL list on the read side: stored once, in rows of {@link #SIZE} URLs
 * (job_url_chunk), so that labelling a result or filling in a page of pending URLs reads one
 * small row, whatever the size of the job. URLs are validated as URIs when a job is
 * accepted, so none contains a line break: a chunk is its URLs joined by line breaks.
 */
final class UrlChunks {
  /** URLs per stored row. */
  static final int SIZE = 1000;

  private UrlChunks() {}

  /** Stores the list of a newly submitted job (replacing any left by a hand-mended table). */
  static void store(Connection c, String jobId, List<String> urls) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "DELETE FROM job_url_chunk WHERE job_id = ?")) {
      st.setString(1, jobId);
      st.executeUpdate();
    }
    try (PreparedStatement st = c.prepareStatement(
        "INSERT INTO job_url_chunk (job_id, chunk, urls) VALUES (?, ?, ?)")) {
      for (int from = 0, chunk = 0; from < urls.size(); from += SIZE, chunk++) {
        st.setString(1, jobId);
        st.setInt(2, chunk);
        st.setString(3, String.join("\n", urls.subList(from, Math.min(urls.size(), from + SIZE))));
        st.addBatch();
      }
      st.executeBatch();
    }
  }

  /** The URLs of one chunk; empty when the job has no such chunk. */
  static String[] load(Connection c, String jobId, int chunk) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT urls FROM job_url_chunk WHERE job_id = ? AND chunk = ?")) {
      st.setString(1, jobId);
      st.setInt(2, chunk);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1).split("\n", -1) : new String[0];
      }
    }
  }

  /** URL {@code index} from {@code chunk} (chunk index / SIZE), or "?" if it is not there. */
  static String at(String[] chunk, int index) {
    int i = index % SIZE;
    return i < chunk.length ? chunk[i] : "?";
  }

  /**
   * Recently used chunks, least recently used first, within a budget of characters. Not
   * thread-safe: the projection uses it from one step at a time.
   */
  static final class Cache {
    private record Entry(String[] urls, long chars) {}

    private final long maxChars;
    private final LinkedHashMap<String, Entry> chunks = new LinkedHashMap<>(16, 0.75f, true);
    private long chars;
    /** The chunk used last: results mostly come in runs of the same job and chunk. */
    private String lastJob;
    private int lastChunk = -1;
    private String[] lastUrls;

    Cache(long maxChars) {
      this.maxChars = maxChars;
    }

    /** URL {@code index} of the job, from memory or else from the store. */
    String url(Connection c, String jobId, int index) throws SQLException {
      int chunk = index / SIZE;
      if (chunk == lastChunk && jobId.equals(lastJob)) return at(lastUrls, index);
      String key = jobId + "#" + chunk;
      Entry entry = chunks.get(key);
      if (entry == null) {
        String[] urls = load(c, jobId, chunk);
        long size = 0;
        for (String u : urls) size += u.length();
        entry = new Entry(urls, size);
        chunks.put(key, entry);
        chars += size;
        var it = chunks.entrySet().iterator();
        while (chars > maxChars && chunks.size() > 1 && it.hasNext()) {
          var eldest = it.next();
          if (eldest.getKey().equals(key)) continue;
          chars -= eldest.getValue().chars();
          it.remove();
        }
      }
      lastJob = jobId;
      lastChunk = chunk;
      lastUrls = entry.urls();
      return at(lastUrls, index);
    }

    void clear() {
      lastJob = null;
      lastChunk = -1;
      lastUrls = null;
      chunks.clear();
      chars = 0;
    }
  }
}
