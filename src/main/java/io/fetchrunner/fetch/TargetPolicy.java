package io.fetchrunner.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Which hosts the service may fetch from: allow and deny lists of host patterns
 * ({@code example.com}, {@code *.example.com}) and address ranges ({@code 10.0.0.0/8},
 * {@code fe80::/10}, a single address), checked against the name and against every address
 * the name resolves to, before each request and each redirect hop.
 *
 * <p>Order: a host that parsers read as different addresses is refused ({@link HostForms});
 * then a deny match refuses; then, if the allow list is not empty, the target must match
 * it (an allow match also lifts the private-range rule); then loopback, private, and
 * unique-local addresses are refused unless {@code allowPrivate}. An IPv6 address that
 * carries an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64) is checked as that IPv4
 * address; a deny rule on its IPv6 form applies as well.
 */
public final class TargetPolicy {
  private static final List<Rule> PRIVATE = List.of(
      Rule.parse("127.0.0.0/8"), Rule.parse("10.0.0.0/8"), Rule.parse("172.16.0.0/12"),
      Rule.parse("192.168.0.0/16"), Rule.parse("100.64.0.0/10"), Rule.parse("::1/128"),
      Rule.parse("fc00::/7"), Rule.parse("0.0.0.0/32"), Rule.parse("::/128"));

  private final List<Rule> allow;
  private final List<Rule> deny;
  private final boolean allowPrivate;

  public TargetPolicy(List<String> allow, List<String> deny, boolean allowPrivate) {
    this.allow = allow.stream().map(Rule::parse).toList();
    this.deny = deny.stream().map(Rule::parse).toList();
    this.allowPrivate = allowPrivate;
  }

  /**
   * The check that needs no DNS: the host name against the patterns, and the host itself
   * when it is an address literal. Empty when allowed (so far), else the reason.
   */
  public Optional<String> checkName(String host) {
    Optional<String> ambiguous = HostForms.ambiguity(host);
    if (ambiguous.isPresent()) return ambiguous;
    return decision(normalize(host)).reason();
  }

  /** The decision by name, and whether the host is an address literal (no DNS to ask). */
  private record ByName(Optional<String> reason, boolean literal) {}

  private ByName decision(String h) {
    ByName known = byName.get(h);
    if (known != null) return known;
    InetAddress literal = literal(h);
    ByName decided = new ByName(decideByName(h, literal), literal != null);
    if (h.length() <= 253) { // a DNS name is at most 253 characters; others are not kept
      if (byName.size() >= NAMES_CACHED) byName.clear();
      byName.put(h, decided);
    }
    return decided;
  }

  /**
   * Decisions of {@link #checkName} by host name: they depend on the name and the fixed
   * lists only, and a job's URLs mostly share a few hosts (a 10,000-URL job is checked once
   * per URL at submission and again before each request).
   */
  private final ConcurrentHashMap<String, ByName> byName = new ConcurrentHashMap<>();

  private static final int NAMES_CACHED = 10_000;

  private Optional<String> decideByName(String h, InetAddress literal) {
    if (literal != null) return checkAddress(h, literal);
    for (Rule r : deny) {
      if (r.matchesName(h)) return Optional.of(h + " matches the deny rule " + r.text);
    }
    if (!allow.isEmpty() && allow.stream().noneMatch(r -> r.matchesName(h))
        && allow.stream().noneMatch(r -> r.cidr)) {
      return Optional.of(h + " is not in the allow list");
    }
    return Optional.empty();
  }

  /** Resolves {@code host} on {@code blocking} and checks every address it resolves to. */
  public CompletableFuture<Optional<String>> check(String host, Executor blocking) {
    Optional<String> ambiguous = HostForms.ambiguity(host);
    if (ambiguous.isPresent()) return CompletableFuture.completedFuture(ambiguous);
    String h = normalize(host);
    ByName byName = decision(h);
    if (byName.reason().isPresent() || byName.literal()) {
      return CompletableFuture.completedFuture(byName.reason());
    }
    return CompletableFuture.supplyAsync(() -> {
      InetAddress[] addresses;
      try {
        addresses = InetAddress.getAllByName(h);
      } catch (UnknownHostException e) {
        return Optional.of("cannot resolve " + h);
      }
      for (InetAddress a : addresses) {
        Optional<String> reason = checkAddress(h, a);
        if (reason.isPresent()) return reason;
      }
      return Optional.<String>empty();
    }, blocking);
  }

  private Optional<String> checkAddress(String host, InetAddress address) {
    InetAddress ipv4 = embeddedIpv4(address);
    InetAddress a = ipv4 == null ? address : ipv4;
    String shown = host.equals(a.getHostAddress()) ? host : host + " (" + a.getHostAddress() + ")";
    for (Rule r : deny) {
      if (r.matches(host, a) || (ipv4 != null && r.matches(host, address))) {
        return Optional.of(shown + " matches the deny rule " + r.text);
      }
    }
    if (!allow.isEmpty()) {
      if (allow.stream().anyMatch(r -> r.matches(host, a))) return Optional.empty();
      return Optional.of(shown + " is not in the allow list");
    }
    if (!allowPrivate && PRIVATE.stream().anyMatch(r -> r.matches(host, a))) {
      return Optional.of(shown + " is a loopback or private address"
          + " (allowed only while the service itself listens on loopback)");
    }
    return Optional.empty();
  }

  private static final byte[] NAT64_PREFIX = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

  /**
   * The IPv4 address in the last 32 bits of an IPv4-mapped ({@code ::ffff:0:0/96}),
   * IPv4-compatible ({@code ::/96} but {@code ::} and {@code ::1}) or NAT64
   * ({@code 64:ff9b::/96}) IPv6 address; null for any other address. Java already reads a
   * mapped literal as IPv4, but an address from DNS may still come as IPv6.
   */
  static InetAddress embeddedIpv4(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length != 16) return null;
    boolean zeros = true;
    for (int i = 0; i < 10; i++) zeros &= b[i] == 0;
    boolean mapped = zeros && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    boolean compatible = zeros && b[10] == 0 && b[11] == 0
        && (b[12] != 0 || b[13] != 0 || b[14] != 0 || (b[15] & 0xfe) != 0);
    boolean nat64 = Arrays.equals(b, 0, 12, NAT64_PREFIX, 0, 12);
    if (!mapped && !compatible && !nat64) return null;
    try {
      return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }

  private static String normalize(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
    return h;
  }

  /** The address when {@code host} is an IPv4 or IPv6 literal (no DNS lookup), else null. */
  static InetAddress literal(String host) {
    boolean v4 = LiteralForms.IPV4.matcher(host).matches();
    boolean v6 = host.contains(":") && LiteralForms.IPV6.matcher(host).matches();
    if (!v4 && !v6) return null;
    try {
      return InetAddress.getByName(host); // a literal: parsed, not resolved
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Compiled once, and ready before the static rule lists that use them are built. */
  private static final class LiteralForms {
    static final java.util.regex.Pattern IPV4 =
        java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    static final java.util.regex.Pattern IPV6 = java.util.regex.Pattern.compile("[0-9a-f:.%]+");
  }

  /** One allow or deny entry: a host pattern, or an address range. */
  static final class Rule {
    final String text;
    final boolean cidr;
    private final String name;
    private final byte[] network;
    private final int prefix;

    private Rule(String text, String name, byte[] network, int prefix) {
      this.text = text;
      this.cidr = network != null;
      this.name = name;
      this.network = network;
      this.prefix = prefix;
    }

    static Rule parse(String text) {
      String t = text.strip().toLowerCase(Locale.ROOT);
      String addr = t;
      int prefix = -1;
      int slash = t.indexOf('/');
      if (slash > 0) {
        addr = t.substring(0, slash);
        try {
          prefix = Integer.parseInt(t.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("not a CIDR range: " + text);
        }
      }
      var ambiguous = HostForms.ambiguity(addr);
      if (ambiguous.isPresent()) {
        throw new IllegalArgumentException("not a host pattern or address range: " + text
            + " (" + ambiguous.get() + ")");
      }
      InetAddress a = literal(addr);
      if (a == null) {
        if (slash > 0) throw new IllegalArgumentException("not a CIDR range: " + text);
        if (t.isEmpty() || !t.matches("(\\*|\\*\\.)?[a-z0-9.-]*")) {
          throw new IllegalArgumentException("not a host pattern or address range: " + text);
        }
        return new Rule(text, t, null, 0);
      }
      byte[] bytes = a.getAddress();
      if (prefix < 0) prefix = bytes.length * 8;
      if (prefix > bytes.length * 8) throw new IllegalArgumentException("bad prefix: " + text);
      return new Rule(text, null, bytes, prefix);
    }

    boolean matchesName(String host) {
      if (name == null) return false;
      if (name.equals("*")) return true;
      if (name.startsWith("*.")) return host.endsWith(name.substring(1));
      return host.equals(name);
    }

    boolean matches(String host, InetAddress a) {
      if (name != null) return matchesName(host);
      byte[] b = a.getAddress();
      if (b.length != network.length) return false;
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (b[i] != network[i]) return false;
      }
      int rest = prefix % 8;
      if (rest == 0) return true;
      int mask = (0xff << (8 - rest)) & 0xff;
      return (b[full] & mask) == (network[full] & mask);
    }
  }
}
