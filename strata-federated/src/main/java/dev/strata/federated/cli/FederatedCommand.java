package dev.strata.federated.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code strata federated}: federated learning across the fleet, and its simulator. */
@Command(
    name = "federated",
    mixinStandardHelpOptions = true,
    description = {
      "Federated learning: clients train on data that never leaves them and send only their",
      "updates; the server aggregates them (FedAvg, FedProx, FedAvgM, FedAdam, FedYogi, median,",
      "trimmed mean), optionally under secure aggregation and with client-level differential",
      "privacy."
    },
    subcommands = {
      JobCommands.Start.class,
      JobCommands.Status.class,
      JobCommands.Stop.class,
      SimulateCommand.class,
      ChartCommand.class
    })
public final class FederatedCommand {
  /** Runs {@code federated} alone (the benchmarks do; users run it as {@code strata federated}). */
  public static void main(String[] args) {
    System.exit(new CommandLine(new FederatedCommand()).execute(args));
  }
}
