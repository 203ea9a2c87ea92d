package io.fetchrunner.job;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The host[:port] of a URL, read cheaply: the statistics group by it, jobs count by it. */
public final class UrlHost {
  private UrlHost() {}

  /**
   * host[:port] of a URL, lower case; "?" when it has none (never stored by the API). The
   * common form (scheme://host[:port]...) is read directly, as URI would read it;
   * anything else (user info, escapes, an empty port) goes through URI.
   */
  public static String of(String url) {
    int start = url.indexOf("://");
    if (start > 0) {
      start += 3;
      int end = start;
      while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) end++;
      String authority = url.substring(start, end);
      if (!authority.isEmpty() && authority.indexOf('@') < 0 && authority.indexOf('%') < 0
          && !authority.endsWith(":") && !authority.startsWith(":")) {
        return authority.toLowerCase(Locale.ROOT);
      }
    }
    return byUri(url);
  }

  static String byUri(String url) {
    try {
      URI uri = URI.create(url);
      String host = uri.getHost();
      if (host == null) return "?";
      host = host.toLowerCase(Locale.ROOT);
      return uri.getPort() == -1 ? host : host + ":" + uri.getPort();
    } catch (IllegalArgumentException e) {
      return "?";
    }
  }
}
