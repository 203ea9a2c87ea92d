package io.fetchrunner.fetch;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.IllegalResponseException;
import org.apache.pekko.http.scaladsl.model.ParsingException;
import org.apache.pekko.stream.StreamTcpException;

/**
 * Names what went wrong in an attempt: an {@link ErrorKind}, a sentence for a person (no
 * exception class names), and whether another attempt may fare better. The phase the attempt
 * was in (connecting, waiting for headers, reading the body) decides as much as the exception:
 * Pekko's TCP failures are one class ({@link StreamTcpException}) whose message carries the
 * operating system's reason, so only those messages are read, and only for the reason.
 * FailuresTest pins every case against failures made by real sockets.
 */
final class Failures {
  private Failures() {}

  /** Where the attempt was when it failed. */
  enum Phase {
    /** Opening the connection (TCP, before the request is written). */
    CONNECT,
    /** The request was handed to an open connection; no response headers yet. */
    HEADERS,
    /** The headers came; reading the body. */
    BODY
  }

  /** A named failure. */
  record Failure(ErrorKind kind, String error, boolean retryable) {}

  /** The body grew past the job's maxBodyBytes; the connection is closed. */
  static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge(long limit) {
      super("body larger than " + limit + " bytes (maxBodyBytes)", null, false, false);
    }
  }

  /**
   * @param target host:port, for the sentence
   * @param bodyBytes body bytes received before the failure (phase BODY)
   */
  static Failure classify(Throwable error, Phase phase, String target, long bodyBytes) {
    Throwable e = unwrap(error);
    if (e instanceof BodyTooLarge) return new Failure(ErrorKind.TOO_LARGE, e.getMessage(), false);
    Throwable certificate = certificateProblem(error);
    if (certificate != null) {
      String why = String.valueOf(certificate.getMessage());
      String lower = why.toLowerCase(Locale.ROOT);
      String text = lower.contains("subject alternative") || lower.contains("no name matching")
          ? "TLS: the server's certificate is not for this host: " + why
          : "TLS: the server's certificate is not trusted: " + why + " (an authority can be"
              + " added with fetchrunner.fetch.tls.ca-file)";
      return new Failure(ErrorKind.TLS, text, false); // a retry meets the same certificate
    }
    SSLException tls = find(error, SSLException.class);
    if (tls != null) {
      return new Failure(ErrorKind.TLS, "TLS handshake with " + target + " failed: "
          + tls.getMessage(), false);
    }
    if (find(error, UnknownHostException.class) != null) {
      return new Failure(ErrorKind.DNS, "the host name of " + target + " did not resolve", false);
    }
    if (e instanceof Connections.NotSent) {
      return new Failure(ErrorKind.CLOSED,
          "the connection closed before the request was sent", true);
    }
    if (e instanceof Connections.ClosedBeforeResponse) {
      return new Failure(ErrorKind.CLOSED,
          "the server closed the connection before sending a response", true);
    }
    String reason = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (reason.contains("connection reset")) {
      return new Failure(ErrorKind.RESET, phase == Phase.BODY
          ? "the server reset the connection after " + bodyBytes + " bytes of the body"
          : "the server reset the connection before sending a response", true);
    }
    if (phase == Phase.CONNECT) {
      if (e instanceof ConnectException || reason.contains("connection refused")) {
        return new Failure(ErrorKind.REFUSED, "connection refused by " + target, true);
      }
      if (reason.contains("connect timeout")) {
        return new Failure(ErrorKind.TIMEOUT_CONNECT, "no connection to " + target
            + " within fetchrunner.fetch.connect-timeout", true);
      }
      return new Failure(ErrorKind.CONNECT, "could not connect to " + target + ": "
          + osReason(e), true);
    }
    if (e instanceof EntityStreamException
        || e.getClass().getName().endsWith("UnexpectedConnectionClosureException")
        || e instanceof StreamTcpException || e instanceof IOException) {
      return new Failure(ErrorKind.CLOSED, phase == Phase.BODY
          ? "the server closed the connection after " + bodyBytes
              + " bytes, before the body was complete"
          : "the server closed the connection before sending a response", true);
    }
    if (e instanceof IllegalResponseException || e instanceof ParsingException) {
      return new Failure(ErrorKind.PROTOCOL, "the response is not valid HTTP: "
          + e.getMessage(), false);
    }
    return new Failure(ErrorKind.OTHER, String.valueOf(e.getMessage()), false);
  }

  /** The operating system's words in a Pekko TCP failure, else the message. */
  private static String osReason(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int at = m.lastIndexOf("Exception: ");
    return at >= 0 ? m.substring(at + "Exception: ".length()) : m;
  }

  static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static <T extends Throwable> T find(Throwable error, Class<T> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return type.cast(t);
      if (t.getCause() == t) break;
    }
    return null;
  }

  /** The refusal of a server's certificate in this failure's causes, or null. */
  static Throwable certificateProblem(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateException
          || t instanceof java.security.cert.CertPathValidatorException
          || t instanceof java.security.cert.CertPathBuilderException) {
        return t;
      }
    }
    return null;
  }
}
