package io.fetchrunner;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback conversion words that write every log line through {@link Secrets#text}, so that a
 * URL with credentials in a message or a stack trace (the service's own, Pekko's or a
 * library's) is logged as {@code user:***@host}. logback.xml names them {@code %redactedMsg}
 * and {@code %redactedEx}, in place of {@code %msg} and {@code %ex}.
 */
public final class LogRedaction {
  private LogRedaction() {}

  /** {@code %redactedMsg}: the formatted message. */
  public static final class Message extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return Secrets.text(super.convert(event));
    }
  }

  /** {@code %redactedEx}: the stack trace, if any, with the messages of its exceptions. */
  public static final class StackTrace extends ThrowableProxyConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return Secrets.text(super.convert(event));
    }
  }
}
