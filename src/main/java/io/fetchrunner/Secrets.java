package io.fetchrunner;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secrets a job is given, and the one place that decides how they are shown: credentials
 * in a URL ({@code http://user:password@host/}) and the values of request headers that carry
 * credentials. Jobs store them as given, since a job must still be able to fetch after a
 * restart; everything the service shows (the API's answers, exports, statistics, error texts,
 * log lines) goes through this class first.
 *
 * <p>The rule:
 * <ul>
 *   <li>A URL's password is shown as {@code ***} ({@code http://user:***@host/}); a user
 *       without a password is often a token and is hidden whole ({@code http://***@host/}).
 *   <li>A header is secret when its name contains, in any case, one of
 *       {@link #SECRET_HEADER_PARTS} ({@code auth}, {@code cookie}, {@code token},
 *       {@code secret}, {@code key}, {@code password}, {@code passwd}, {@code session},
 *       {@code credential}): {@code Authorization}, {@code Proxy-Authorization},
 *       {@code Cookie}, {@code X-Api-Key}, {@code X-Auth-Token}, {@code Private-Token},
 *       {@code X-Session-Id}, ... Its value is shown as {@code ***}. A header taken for a
 *       secret by mistake costs nothing: its value is only hidden from view, never changed.
 * </ul>
 */
public final class Secrets {
  /** What is shown in place of a secret. */
  public static final String MASK = "***";

  /** Parts of a header name that make its value secret (lower case). */
  public static final List<String> SECRET_HEADER_PARTS = List.of("auth", "cookie", "token",
      "secret", "key", "password", "passwd", "session", "credential");

  /**
   * A URL's scheme and userinfo in free text: the userinfo runs to the last '@' before the
   * authority ends ('/', '?', '#'), or before a character that cannot be in a URL at all.
   */
  private static final Pattern USERINFO_IN_TEXT =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\\s\"<>\\\\]*)@");

  private Secrets() {}

  /** {@code url} as shown: its password, or a user without a password, replaced by ***. */
  public static String url(String url) {
    if (url == null || url.indexOf('@') < 0) return url;
    int[] at = userInfo(url);
    if (at == null) return url;
    return url.substring(0, at[0]) + shownUserInfo(url.substring(at[0], at[1]))
        + url.substring(at[1]);
  }

  /** Each URL of {@code urls} as {@link #url} shows it (the same list when none changes). */
  public static List<String> urls(List<String> urls) {
    boolean any = false;
    for (String u : urls) {
      if (u != null && u.indexOf('@') >= 0) {
        any = true;
        break;
      }
    }
    return any ? urls.stream().map(Secrets::url).toList() : urls;
  }

  /**
   * Free text (an error, an exception's message, a log line) with the userinfo of every URL
   * in it shown as {@link #url} shows it.
   */
  public static String text(String text) {
    if (text == null || text.indexOf('@') < 0) return text;
    Matcher m = USERINFO_IN_TEXT.matcher(text);
    if (!m.find()) return text;
    StringBuilder out = new StringBuilder(text.length());
    do {
      // A Pekko node's address (pekko://fetchrunner@host:port) names the actor system there,
      // not a user: it is shown as it is.
      String shown = m.group(1).equals("pekko://") ? m.group(2) : shownUserInfo(m.group(2));
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + shown + "@"));
    } while (m.find());
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A URL the service refused, as an error message may quote it. A refused URL may be
   * malformed anywhere, so everything between {@code ://} and its last '@' is hidden.
   */
  public static String refusedUrl(String raw) {
    int start = raw.indexOf("://");
    int at = raw.lastIndexOf('@');
    if (start < 0 || at < start + 3) return text(raw);
    return raw.substring(0, start + 3) + MASK + raw.substring(at);
  }

  /** Whether a request header of this name carries a secret (see the class comment). */
  public static boolean isSecretHeader(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (String part : SECRET_HEADER_PARTS) {
      if (lower.contains(part)) return true;
    }
    return false;
  }

  /** Headers as shown: the value of each secret one replaced by ***. */
  public static Map<String, String> headers(Map<String, String> headers) {
    if (headers == null || headers.keySet().stream().noneMatch(Secrets::isSecretHeader)) {
      return headers;
    }
    Map<String, String> shown = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, value) -> shown.put(name, isSecretHeader(name) ? MASK : value));
    return shown;
  }

  /**
   * What to request for a URL: the URL without its userinfo, and the Basic authorization its
   * userinfo stands for (null when it has none), as curl and browsers send it. The user and
   * the password are percent-decoded (UTF-8); a user without a password has an empty one.
   */
  public record Target(String url, String authorization) {}

  public static Target target(String url) {
    if (url.indexOf('@') < 0) return new Target(url, null);
    int[] at = userInfo(url);
    if (at == null) return new Target(url, null);
    String userInfo = url.substring(at[0], at[1]);
    String bare = url.substring(0, at[0]) + url.substring(at[1] + 1);
    if (userInfo.isEmpty()) return new Target(bare, null);
    int colon = userInfo.indexOf(':');
    String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
    String password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
    return new Target(bare, "Basic " + Base64.getEncoder().encodeToString(
        (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Where the userinfo of {@code url} is: {start, end} with the '@' at end, or null. As
   * URI reads it: the authority follows "://" up to '/', '?' or '#'.
   */
  private static int[] userInfo(String url) {
    int scheme = url.indexOf("://");
    if (scheme <= 0) return null;
    int start = scheme + 3;
    int end = start;
    while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) end++;
    int at = url.lastIndexOf('@', end - 1);
    return at < start ? null : new int[] {start, at};
  }

  private static String shownUserInfo(String userInfo) {
    if (userInfo.isEmpty()) return userInfo;
    int colon = userInfo.indexOf(':');
    return colon < 0 ? MASK : userInfo.substring(0, colon + 1) + MASK;
  }

  /** Percent-decodes UTF-8 ('+' stays '+'); text that does not decode is kept as it is. */
  private static String decode(String s) {
    if (s.indexOf('%') < 0) return s;
    var bytes = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      int pct = s.indexOf('%', i);
      bytes.writeBytes(s.substring(i, pct < 0 ? s.length() : pct)
          .getBytes(StandardCharsets.UTF_8));
      if (pct < 0) break;
      if (pct + 2 >= s.length()) return s;
      int high = Character.digit(s.charAt(pct + 1), 16);
      int low = Character.digit(s.charAt(pct + 2), 16);
      if (high < 0 || low < 0) return s;
      bytes.write(high * 16 + low);
      i = pct + 3;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      return s;
    }
  }
}
