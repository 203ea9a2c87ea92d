package io.fetchrunner.fetch;

import crawlercommons.domains.EffectiveTldFinder;
import java.util.Locale;

/**
 * What counts as one host for pacing and back-off: host:port ({@code "host"}), or the
 * registrable domain ({@code "domain"}: a.example.com:443 and b.example.com:8443 are
 * example.com; www.bbc.co.uk is bbc.co.uk), from the public suffix list crawler-commons
 * bundles. An address or a name without a public suffix (localhost) is its own domain.
 */
public final class HostGroups {
  private HostGroups() {}

  public static final String HOST = "host";
  public static final String DOMAIN = "domain";

  /** The group of {@code hostKey} (host:port, lower case) under {@code groupBy}. */
  public static String of(String hostKey, String groupBy) {
    if (!DOMAIN.equals(groupBy)) return hostKey;
    String host = hostOnly(hostKey);
    if (host.startsWith("[") || host.indexOf(':') >= 0 || isIpv4(host)) return host;
    String domain = EffectiveTldFinder.getAssignedDomain(host, false, false);
    return domain == null ? host : domain.toLowerCase(Locale.ROOT);
  }

  /** host:port without the port. */
  static String hostOnly(String hostKey) {
    int colon = hostKey.lastIndexOf(':');
    if (colon < 0 || hostKey.endsWith("]")) return hostKey;
    return hostKey.substring(0, colon);
  }

  private static boolean isIpv4(String host) {
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c != '.' && (c < '0' || c > '9')) return false;
    }
    return !host.isEmpty();
  }
}
