package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What one host is: host:port, or the registrable domain (the public suffix list). */
class HostGroupsTest {
  @ParameterizedTest
  @CsvSource({
      "a.example.com:443, host, a.example.com:443",
      "a.example.com:443, domain, example.com",
      "b.example.com:8443, domain, example.com",
      "www.bbc.co.uk:443, domain, bbc.co.uk",
      "foo.github.io:443, domain, foo.github.io",
      "example.com:80, domain, example.com",
      "127.0.0.1:8080, domain, 127.0.0.1",
      "localhost:8080, domain, localhost",
      "[::1]:8080, domain, [::1]"})
  void groups(String hostKey, String groupBy, String group) {
    assertEquals(group, HostGroups.of(hostKey, groupBy));
  }
}
