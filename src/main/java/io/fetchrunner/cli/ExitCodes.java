package io.fetchrunner.cli;

/** The exit statuses of the command-line client (the README lists them). */
final class ExitCodes {
  /** Every URL succeeded (or the command did what it was asked). */
  static final int OK = 0;
  /** The job has failed or cancelled URLs. */
  static final int SOME_FAILED = 1;
  /** The command line is wrong. */
  static final int USAGE = 2;
  /** The server cannot be reached, or refused the call. */
  static final int SERVER = 3;
  /** Ctrl-C (SIGINT): the JVM itself ends with 128 + 2. */
  static final int INTERRUPTED = 130;

  private ExitCodes() {}
}
