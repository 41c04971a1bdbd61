package dev.strata.train.cli;

import dev.strata.core.StrataException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runs the training commands until the {@code strata} launcher registers them as its own
 * subcommands: {@code java -cp ... dev.strata.train.cli.StrataTrainCli train --help}.
 */
@Command(
    name = "strata",
    mixinStandardHelpOptions = true,
    subcommands = {
      TrainCommand.class,
      EvaluateCommand.class,
      ExportCommand.class,
      MakeSubsetCommand.class
    },
    description = "Train, evaluate and export models.")
public final class StrataTrainCli {
  private StrataTrainCli() {}

  /** The command line with Strata's error handling: a StrataException prints its message only. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StrataTrainCli());
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          if (e instanceof StrataException se) {
            line.getErr().println("error: " + se.getMessage());
            return 2;
          }
          if (e instanceof java.nio.file.NoSuchFileException nf) {
            line.getErr().println("error: " + nf.getFile() + ": no such file");
            return 2;
          }
          throw e;
        });
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
