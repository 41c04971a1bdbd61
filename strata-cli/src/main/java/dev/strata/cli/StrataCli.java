package dev.strata.cli;

import dev.strata.core.StrataVersion;
import dev.strata.train.cli.EvaluateCommand;
import dev.strata.train.cli.ExportCommand;
import dev.strata.train.cli.MakeSubsetCommand;
import dev.strata.train.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code strata} command: one entry point, a subcommand per job. */
@Command(
    name = "strata",
    mixinStandardHelpOptions = true,
    versionProvider = StrataCli.Version.class,
    description = "Strata: AI models as a service across a cloud and a fleet of edge devices.",
    subcommands = {
      ServeCommand.class,
      InferCommand.class,
      ModelsCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      ExportCommand.class,
      MakeSubsetCommand.class,
      dev.strata.edge.EdgeCommand.class,
      dev.strata.edge.calibrate.CalibrateCommand.class,
      dev.strata.cloud.CloudCommand.class,
      dev.strata.compress.cli.CompressCommand.class,
      dev.strata.federated.cli.FederatedCommand.class,
      DemoCommand.class,
      StartupTrainingCommand.class,
      CommandLine.HelpCommand.class
    })
public final class StrataCli {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new StrataCli());
    cli.setExecutionExceptionHandler(new ErrorHandler());
    return cli;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"strata " + StrataVersion.get(), "Java " + Runtime.version()};
    }
  }
}
