package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
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

  /** Every policy below allows 127.0.0.0/8 only: a host read the wrong way is denied. */
  private static TargetPolicy loopbackOnly(String... deny) {
    var rules = new ArrayList<>(DEFAULT_DENY);
    rules.addAll(List.of(deny));
    return new TargetPolicy(List.of("127.0.0.0/8"), rules, false);
  }

  @Test
  void hostFormsThatParsersReadDifferentlyAreDenied() {
    var p = loopbackOnly();
    // Java reads the first as 177.0.0.1, the C library (curl) as 127.0.0.1; Java sends the
    // hexadecimal ones to DNS, the C library reads them as 127.0.0.1; and so on.
    for (String host : List.of("0177.0.0.1", "0x7f.1", "0x7f000001", "0X7F.0.0.1",
        "2130706433", "127.1", "127.0.1", "127.000.0.1", "127.0.0.1.", "1.2.3.4.5",
        "256.0.0.1", "08.0.0.1", "localhost.0x", "example.123", "[::ffff:0177.0.0.1]")) {
      Optional<String> byName = p.checkName(host);
      assertTrue(byName.isPresent(), host + " is refused by name");
      Optional<String> atFetch = p.check(host, Runnable::run).join(); // refused before DNS
      assertEquals(byName, atFetch, host + " is refused at fetch time for the same reason");
    }
    assertTrue(p.checkName("0177.0.0.1").get().contains("leading zero"));
    assertTrue(p.checkName("0x7f.1").get().contains("hexadecimal"));
    assertTrue(p.checkName("127.1").get().contains("127.0.0.1"), "says how C reads it");
    for (String host : List.of("127.0.0.1", "127.0.10.100", "[::ffff:127.0.0.1]", "localhost",
        "host-127.example", "0x7f.example")) {
      assertEquals(Optional.empty(), p.checkName(host), host);
    }
  }

  @Test
  void ipv6AddressesCarryingAnIpv4AddressAreCheckedAsThatAddress() {
    var p = loopbackOnly("127.0.0.2/32");
    // IPv4-mapped, IPv4-compatible and NAT64 (64:ff9b::/96), in dotted and in hex form.
    for (String allowed : List.of("[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]",
        "[::7f00:1]", "[64:ff9b::127.0.0.1]", "[64:ff9b::7f00:1]")) {
      assertEquals(Optional.empty(), p.checkName(allowed), allowed);
    }
    for (String denied : List.of("[::ffff:127.0.0.2]", "[::ffff:7f00:2]", "[::127.0.0.2]",
        "[64:ff9b::7f00:2]")) {
      Optional<String> reason = p.checkName(denied);
      assertTrue(reason.isPresent() && reason.get().contains("(127.0.0.2) matches the deny rule"
          + " 127.0.0.2/32"), denied + ": " + reason);
    }
    Optional<String> metadata = p.checkName("[64:ff9b::a9fe:a9fe]");
    assertTrue(metadata.isPresent() && metadata.get().contains("169.254.0.0/16"),
        metadata::toString);
    assertTrue(p.checkName("[::1]").get().contains("not in the allow list"),
        "::1 is IPv6 loopback, not the IPv4 address 0.0.0.1");
    assertTrue(loopbackOnly("64:ff9b::/96").checkName("[64:ff9b::7f00:1]").isPresent(),
        "a deny rule on the IPv6 form still applies");
  }

  @Test
  void badEntriesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TargetPolicy(List.of("10.0.0.0/99"), List.of(), false));
    assertThrows(IllegalArgumentException.class, () -> new TargetPolicy(List.of(), List.of("exa mple"), false));
    var e = assertThrows(IllegalArgumentException.class,
        () -> new TargetPolicy(List.of("0177.0.0.1"), List.of(), false));
    assertTrue(e.getMessage().contains("leading zero"), e.getMessage());
  }
}
