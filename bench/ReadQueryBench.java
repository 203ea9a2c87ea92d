import java.sql.*;
/**
 * Times the read side's journal query against the JDBC plugin's eventsByTag query on an
 * existing store whose job events are tagged (written before 2026-11-29; docs/BENCHMARKS.md,
 * "Read-side lag"). Usage, with the service stopped:
 *   java -cp ~/.m2/repository/com/h2database/h2/2.4.240/h2-2.4.240.jar \
 *     bench/ReadQueryBench.java jdbc:h2:file:DATA_DIR/fetchrunner FROM_ORDERING TO_ORDERING
 * Each query runs 10 times for the page (FROM, TO] of up to 1,000 events, twice in turn.
 */
public class ReadQueryBench {
  public static void main(String[] a) throws Exception {
    try (Connection c = DriverManager.getConnection(a[0], "sa", "")) {
      String slick = "select x2.x3, x2.x5, x2.x10 from (select \"deleted\" as x4, \"sequence_number\" as x6, \"persistence_id\" as x5, \"ordering\" as x3, \"event_payload\" as x10 from \"event_journal\" where \"deleted\" = false) x2, \"event_tag\" x16 where ((x16.\"tag\" = ?) and ((x2.x3 > ?) and (x2.x3 <= ?))) and (x2.x3 = x16.\"event_id\") order by x2.x3 limit ?";
      String mine = "SELECT j.\"ordering\", j.\"persistence_id\", j.\"event_payload\" FROM \"event_journal\" j WHERE LEFT(j.\"persistence_id\", 4) = ? AND j.\"ordering\" > ? AND j.\"ordering\" <= ? ORDER BY j.\"ordering\" LIMIT ?";
      for (String q : new String[] {slick, mine, slick, mine}) {
        try (PreparedStatement st = c.prepareStatement(q)) {
          long t0 = System.nanoTime(); int rows = 0;
          for (int i = 0; i < 10; i++) {
            st.setString(1, q == slick ? "job" : "Job|"); st.setLong(2, Long.parseLong(a[1])); st.setLong(3, Long.parseLong(a[2])); st.setInt(4, 1000);
            try (ResultSet rs = st.executeQuery()) { while (rs.next()) rows++; }
          }
          System.out.printf("%s: %.1f ms per query, %d rows%n", q == slick ? "plugin" : "direct", (System.nanoTime() - t0) / 1e7, rows / 10);
        }
      }
    }
  }
}
