package dev.strata.cli;

import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Prints an expected failure (bad input, an unreachable server, a missing file) as one line naming
 * the problem, and only an unexpected one with its stack trace.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(
      Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
    var err = cli.getErr();
    if (e instanceof StrataException s) {
      err.println("strata: " + s.getMessage() + " (" + s.code() + ")");
      return 1;
    }
    if (e instanceof IOException || e instanceof UncheckedIOException) {
      err.println("strata: " + e.getMessage());
      return 1;
    }
    if (e instanceof IllegalArgumentException) {
      err.println("strata: " + e.getMessage());
      return 2;
    }
    e.printStackTrace(err);
    return 1;
  }
}
