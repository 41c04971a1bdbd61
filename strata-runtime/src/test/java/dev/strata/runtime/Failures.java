package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.StrataException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** Unwraps the StrataException a future failed with. */
final class Failures {
  private Failures() {}

  static StrataException failure(CompletableFuture<?> future) {
    return failure(future, Duration.ofSeconds(20));
  }

  static StrataException failure(CompletableFuture<?> future, Duration wait) {
    Throwable t;
    try {
      future.orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS).join();
      throw new AssertionError("expected a failure, got a response");
    } catch (CompletionException e) {
      t = e.getCause();
    }
    assertThat(t).isInstanceOf(StrataException.class);
    return (StrataException) t;
  }
}
