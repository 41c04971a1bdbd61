package dev.strata.runtime.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesWithJitterUpToTheCapAndStartsOverOnReset() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), new Random(1));
    long[] ceilings = {100, 200, 400, 800, 1000, 1000};
    for (long ceiling : ceilings) {
      assertThat(b.next().toMillis()).isBetween(ceiling / 2, ceiling);
    }
    b.reset();
    assertThat(b.next().toMillis()).isBetween(50L, 100L);
  }
}
