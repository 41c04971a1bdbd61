package dev.strata.serving.cli;

import dev.strata.core.Durations;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Reads a duration option as {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h} or ISO-8601 ({@code
 * PT30S}); the one converter of every {@code strata} command.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
