package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TargetPolicyTest {
  static final List<String> DEFAULT_DENY =
      List.of("169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "224.0.0.0/4", "ff00::/8");

  @Test
  void metadataAndLinkLocalAreDeniedByDefault() {
    var p = new TargetPolicy(List.of(), DEFAULT_DENY, true);
    assertTrue(p.checkName("169.254.169.254").get().contains("169.254.0.0/16"));
    assertTrue(p.checkName("[fe80::1]").isPresent());
    assertEquals(Optional.empty(), p.checkName("127.0.0.1"));
    assertEquals(Optional.empty(), p.checkName("example.com"));
  }

  @Test
  void privateRangesFollowTheSetting() {
    var open = new TargetPolicy(List.of(), DEFAULT_DENY, true);
    var closed = new TargetPolicy(List.of(), DEFAULT_DENY, false);
    for (String host : List.of("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "[::1]")) {
      assertEquals(Optional.empty(), open.checkName(host), host);
      assertTrue(closed.checkName(host).isPresent(), host);
    }
    assertEquals(Optional.empty(), closed.checkName("172.32.0.1"), "outside 172.16/12");
  }

  @Test
  void allowListsAndHostPatterns() {
    var p = new TargetPolicy(List.of("*.example.com", "10.0.0.0/8"), List.of("bad.example.com"),
        false);
    assertEquals(Optional.empty(), p.checkName("api.example.com"));
    assertTrue(p.checkName("bad.example.com").get().contains("deny"));
    var namesOnly = new TargetPolicy(List.of("*.example.com"), List.of(), false);
    assertTrue(namesOnly.checkName("example.org").get().contains("allow list"));
    assertEquals(Optional.empty(), p.checkName("10.2.3.4"), "an allow entry lifts the private rule");
    assertTrue(p.checkName("192.168.0.1").isPresent());
  }

  @Test
  void namesAreCheckedAgainstWhatTheyResolveTo() {
    var closed = new TargetPolicy(List.of(), DEFAULT_DENY, false);
    Optional<String> localhost = closed.check("localhost", Runnable::run).join();
    assertTrue(localhost.isPresent() && localhost.get().contains("loopback"), localhost::toString);
  }

  @Test
  void rangesWhosePrefixEndsInsideAByteMatchExactlyTheirAddresses() {
    var p = new TargetPolicy(List.of(), List.of("172.16.0.0/12", "100.64.0.0/10",
        "fc00::/7", "203.0.113.0/24", "198.51.100.7"), true);
    for (String denied : List.of("172.16.0.1", "172.31.255.255", "100.64.0.1",
        "100.127.255.254", "[fd12::1]", "[fc00::]", "203.0.113.200", "198.51.100.7")) {
      assertTrue(p.checkName(denied).isPresent(), denied);
      assertTrue(p.checkName(denied).isPresent(), denied + " (asked again)");
    }
    for (String allowed : List.of("172.15.255.255", "172.32.0.0", "100.63.255.255",
        "100.128.0.0", "[fe00::1]", "[fbff::1]", "203.0.114.1", "198.51.100.8")) {
      assertEquals(Optional.empty(), p.checkName(allowed), allowed);
    }
  }

  @Test
  void badEntriesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> TargetPolicy.validate(List.of("10.0.0.0/99")));
    assertThrows(IllegalArgumentException.class, () -> TargetPolicy.validate(List.of("exa mple")));
  }
}
