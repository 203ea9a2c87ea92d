package io.fetchrunner.cli;

/** A command that cannot go on: the message for the user and the exit status it ends with. */
final class CliException extends RuntimeException {
  private final int status;
  private final boolean passing;

  CliException(int status, String message) {
    this(status, message, false);
  }

  private CliException(int status, String message, boolean passing) {
    super(message);
    this.status = status;
    this.passing = passing;
  }

  /**
   * True when trying again later may work: the server did not answer, or answered 503 (it is
   * stopping or busy); false for a refusal that would be the same again.
   */
  boolean passing() {
    return passing;
  }

  int status() {
    return status;
  }

  /** Exit 2: the command line is wrong (picocli's own usage errors end the same way). */
  static CliException usage(String message) {
    return new CliException(ExitCodes.USAGE, message);
  }

  /** Exit 3: the server cannot be reached, or it refused the call. */
  static CliException server(String message) {
    return new CliException(ExitCodes.SERVER, message);
  }

  /** Exit 3, but passing: the server is unreachable or unavailable for now. */
  static CliException unavailable(String message) {
    return new CliException(ExitCodes.SERVER, message, true);
  }
}
