package io.fetchrunner.fetch;

/**
 * Why a URL failed, as a stable word a script can switch on (a result's {@code errorKind});
 * the result's {@code error} says the same for a person. The list is the README's; add a
 * kind rather than change what one means.
 */
public enum ErrorKind {
  /** The host name did not resolve. */
  DNS("dns"),
  /** Nothing listens on the port: the connection was refused. */
  REFUSED("refused"),
  /** The connection could not be opened for another reason (no route, unreachable). */
  CONNECT("connect"),
  /** The connection did not open within fetchrunner.fetch.connect-timeout. */
  TIMEOUT_CONNECT("timeout-connect"),
  /** The attempt's time ran out while a redirect waited for its turn to be sent. */
  TIMEOUT_QUEUED("timeout-queued"),
  /** No response headers within the timeout, counted from the request being sent. */
  TIMEOUT_HEADERS("timeout-headers"),
  /** The headers came, the body was not complete within the timeout. */
  TIMEOUT_BODY("timeout-body"),
  /** The TLS handshake failed or the server's certificate was refused. */
  TLS("tls"),
  /** The server reset the connection. */
  RESET("reset"),
  /** The server closed the connection before the response was complete. */
  CLOSED("closed"),
  /** The response was not valid HTTP. */
  PROTOCOL("protocol"),
  /** The body was longer than the job's maxBodyBytes. */
  TOO_LARGE("too-large"),
  /** More redirects than the job's maxRedirects, or a redirect loop. */
  TOO_MANY_REDIRECTS("too-many-redirects"),
  /** A redirect to a Location that is not an http(s) URL. */
  BAD_REDIRECT("bad-redirect"),
  /** The URL (or a redirect's) is refused by fetchrunner.fetch.targets. */
  DENIED("denied"),
  /** The URL could not be made into a request. */
  INVALID_URL("invalid-url"),
  /** The server answered with a status outside 2xx. */
  HTTP_STATUS("http-status"),
  /**
   * Not tried: the host failed fetchrunner.fetch.host-unavailable.after connections in a row
   * and is skipped for a while (a job opts out with "failFast": false).
   */
  HOST_UNAVAILABLE("host-unavailable"),
  /** Not fetched: the host's robots.txt disallows it (a job with "robots": "obey"). */
  ROBOTS("robots"),
  /** The job was cancelled before the URL was fetched (a CANCELLED result). */
  CANCELLED("cancelled"),
  /** A failure fetchrunner does not know how to name: the error text says what it was. */
  OTHER("other"),
  /** A fault of fetchrunner itself (a worker stopped without a result). */
  INTERNAL("internal");

  private final String wire;

  ErrorKind(String wire) {
    this.wire = wire;
  }

  /** The word stored and shown, e.g. {@code timeout-headers}. */
  public String wire() {
    return wire;
  }

  @Override
  public String toString() {
    return wire;
  }

  /**
   * The kind of a result stored before results carried one, named from its error text where
   * the text says it unambiguously; {@link #OTHER} where it does not (an old "timeout after
   * N ms" does not say whether headers or body were awaited).
   */
  public static ErrorKind fromStoredText(String error) {
    if (error == null) return OTHER;
    if (error.startsWith("HTTP ")) return HTTP_STATUS;
    if (error.startsWith("target denied")) return DENIED;
    if (error.startsWith("connection refused")) return REFUSED;
    if (error.startsWith("body larger than")) return TOO_LARGE;
    if (error.startsWith("TLS")) return TLS;
    if (error.startsWith("more than ") || error.startsWith("redirect loop")) {
      return TOO_MANY_REDIRECTS;
    }
    if (error.startsWith("redirect to")) return BAD_REDIRECT;
    if (error.startsWith("invalid URL") || error.startsWith("invalid request")) return INVALID_URL;
    if (error.startsWith("internal error")) return INTERNAL;
    return OTHER;
  }
}
