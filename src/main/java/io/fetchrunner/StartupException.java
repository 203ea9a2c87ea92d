package io.fetchrunner;

/** The service cannot start; the message says why in terms a user can act on. */
public final class StartupException extends Exception {
  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
