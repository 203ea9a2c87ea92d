package io.fetchrunner.fetch;

import java.util.Locale;
import java.util.Optional;

/**
 * Host forms that parsers read as different addresses, refused wherever a host is checked.
 *
 * <p>An IPv4 address has one form every parser reads alike: four decimal numbers from 0 to
 * 255 without leading zeros ({@code 127.0.0.1}). The C library's {@code inet_aton} (so curl,
 * wget and most resolvers) also reads octal parts ({@code 0177.0.0.1} is 127.0.0.1),
 * hexadecimal parts ({@code 0x7f.1}) and fewer parts ({@code 127.1}, {@code 2130706433});
 * Java reads {@code 0177} as decimal 177 and sends {@code 0x7f.1} to DNS; browsers (the WHATWG
 * URL standard) read every host whose last label is a number as an IPv4 address. The target
 * rules can only check the address the request really goes to if there is one reading, so
 * a host that ends in a number must be an IPv4 address in the plain form.
 */
public final class HostForms {
  private HostForms() {}

  /** Empty for a host name or an address in its plain form, else why the host is refused. */
  public static Optional<String> ambiguity(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (h.indexOf(':') >= 0) return embeddedIpv4(host, h);
    String[] parts = h.split("\\.", -1);
    int last = parts.length - 1;
    if (last > 0 && parts[last].isEmpty()) last--; // a final dot
    if (!isNumber(parts[last])) return Optional.empty(); // a name
    if (isPlain(h)) return Optional.empty();
    return Optional.of(host + " " + reason(h, parts) + readByC(parts)
        + "; write an IPv4 address as four decimal numbers from 0 to 255 without leading zeros");
  }

  /** The dotted IPv4 tail of an IPv6 literal ({@code ::ffff:127.0.0.1}) must be plain too. */
  private static Optional<String> embeddedIpv4(String host, String h) {
    String tail = h.substring(h.lastIndexOf(':') + 1);
    if (tail.indexOf('.') < 0 || isPlain(tail)) return Optional.empty();
    return Optional.of(host + " ends in the IPv4 address " + tail + ", which "
        + reason(tail, tail.split("\\.", -1))
        + "; write it as four decimal numbers from 0 to 255 without leading zeros");
  }

  private static String reason(String h, String[] parts) {
    if (h.endsWith(".")) {
      return "ends with a dot, which some parsers drop and others look up as a name";
    }
    for (String p : parts) {
      if (!isNumber(p)) {
        return "ends in a number, so browsers read it as an IPv4 address, but it is not one";
      }
    }
    for (String p : parts) {
      if (p.startsWith("0x")) return "has a hexadecimal part, " + p;
    }
    for (String p : parts) {
      if (p.length() > 1 && p.startsWith("0")) {
        return "has a part with a leading zero, " + p + ", octal to some parsers and decimal"
            + " to others";
      }
    }
    if (parts.length == 1) return "is a single number instead of four";
    if (parts.length < 4) return "has " + parts.length + " parts instead of 4";
    if (parts.length > 4) return "has " + parts.length + " parts, not an IPv4 address";
    return "has a part above 255, not an IPv4 address";
  }

  /** How the C library's inet_aton reads the parts, when it reads them at all. */
  private static String readByC(String[] parts) {
    if (parts.length > 4) return "";
    for (String p : parts) {
      if (!isNumber(p)) return "";
    }
    long[] values = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      try {
        if (p.startsWith("0x")) {
          values[i] = p.length() == 2 ? 0 : Long.parseLong(p.substring(2), 16);
        } else if (p.length() > 1 && p.startsWith("0")) {
          values[i] = Long.parseLong(p.substring(1), 8);
        } else {
          values[i] = Long.parseLong(p);
        }
      } catch (NumberFormatException e) {
        return ""; // not a number to inet_aton either (08, or too long)
      }
    }
    // Every part but the last is one byte; the last fills the remaining bytes.
    long address = 0;
    for (int i = 0; i < parts.length - 1; i++) {
      if (values[i] > 255) return "";
      address |= values[i] << (8 * (3 - i));
    }
    long lastValue = values[parts.length - 1];
    if (lastValue >= 1L << (8 * (5 - parts.length))) return "";
    address |= lastValue;
    return " (the C library, and so curl, reads it as " + (address >> 24) + "."
        + ((address >> 16) & 0xff) + "." + ((address >> 8) & 0xff) + "." + (address & 0xff) + ")";
  }

  /** A label the WHATWG URL parser reads as a number: decimal digits, or 0x and hex digits. */
  private static boolean isNumber(String label) {
    if (label.isEmpty()) return false;
    if (label.startsWith("0x")) {
      for (int i = 2; i < label.length(); i++) {
        if ("0123456789abcdef".indexOf(label.charAt(i)) < 0) return false;
      }
      return true;
    }
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  /** Four decimal numbers from 0 to 255, without leading zeros. */
  private static boolean isPlain(String h) {
    String[] parts = h.split("\\.", -1);
    if (parts.length != 4) return false;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) return false;
      for (int i = 0; i < p.length(); i++) {
        if (p.charAt(i) < '0' || p.charAt(i) > '9') return false;
      }
      if (Integer.parseInt(p) > 255) return false;
    }
    return true;
  }
}
