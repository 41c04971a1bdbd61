package dev.strata.cli;

import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
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
    if (e instanceof UncheckedIOException u) {
      err.println("strata: " + describe(u.getCause(), u.getMessage()));
      return 1;
    }
    if (e instanceof IOException io) {
      err.println("strata: " + describe(io, io.getMessage()));
      return 1;
    }
    if (e instanceof IllegalArgumentException) {
      err.println("strata: " + e.getMessage());
      return 2;
    }
    e.printStackTrace(err);
    return 1;
  }

  /**
   * A file system failure in words: {@code NoSuchFileException}'s message is only the path, so
   * "missing.onnx" alone would not say what is wrong with it.
   */
  static String describe(IOException e, String fallback) {
    return switch (e) {
      case NoSuchFileException f -> "no such file: " + f.getFile();
      case AccessDeniedException f -> "permission denied: " + f.getFile();
      case NotDirectoryException f -> "not a directory: " + f.getFile();
      case FileAlreadyExistsException f -> "already exists: " + f.getFile();
      case FileSystemException f when f.getReason() != null -> f.getFile() + ": " + f.getReason();
      case null, default -> String.valueOf(fallback);
    };
  }
}
