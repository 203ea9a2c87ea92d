package io.fetchrunner.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command-line client, in the service's jar: {@code java -jar fetchrunner.jar <command>}
 * (with no command the jar starts the service). Each command calls the HTTP API of a running
 * service ({@code --server}); the exit statuses are those of {@link ExitCodes}.
 */
@Command(name = "fetchrunner", mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = {
        "Submit and follow fetch jobs on a fetchrunner service.",
        "With no command, the jar starts the service itself."},
    subcommands = {SubmitCommand.class, WatchCommand.class, ShowCommand.class,
        ListCommand.class, ResultsCommand.class, StatsCommand.class, CancelCommand.class,
        HostsCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"",
        "Exit status: 0 every URL succeeded (or the command did its work),",
        "1 some URLs failed or were cancelled, 2 usage error, 3 the server cannot be",
        "reached or refused, 130 interrupted (Ctrl-C; the job goes on on the server).",
        "Environment: FETCHRUNNER_URL (--server), FETCHRUNNER_API_TOKEN (--token).",
        "'fetchrunner help COMMAND' describes a command."})
public final class Cli implements Runnable {
  final PrintStream out;
  final PrintStream err;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  private Cli(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs one command line; the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Cli(out, err));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof CliException c) {
        err.println("fetchrunner: " + c.getMessage());
        return c.status();
      }
      throw e;
    });
    return cl.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a command");
  }

  /** How the user started this client, for messages that say what to run next. */
  static String commandName() {
    try {
      Path where = Path.of(Cli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (where.toString().endsWith(".jar")) {
        Path relative = Path.of("").toAbsolutePath().relativize(where);
        return "java -jar " + (relative.toString().startsWith("..") ? where : relative);
      }
    } catch (Exception e) {
      // fall through to the plain name
    }
    return "fetchrunner";
  }

  /** {@code --version}: the jar's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Cli.class.getPackage().getImplementationVersion();
      return new String[] {"fetchrunner " + (v == null ? "(development build)" : v)};
    }
  }
}
