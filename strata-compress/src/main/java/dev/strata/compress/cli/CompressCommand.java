package dev.strata.compress.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code strata compress}: makes an edge model from a cloud model. */
@Command(
    name = "compress",
    mixinStandardHelpOptions = true,
    description = {
      "Compress a trained model for the edge, measuring the result against the original:",
      "int8 quantization (static with calibration, or dynamic)."
    },
    subcommands = {QuantizeCommand.class, PruneCommand.class, DistillCommand.class})
public final class CompressCommand {
  /** Runs {@code compress} alone (the benchmarks do; users run it as {@code strata compress}). */
  public static void main(String[] args) {
    System.exit(new CommandLine(new CompressCommand()).execute(args));
  }
}
