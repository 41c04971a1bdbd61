package dev.strata.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsUnitsAndIso() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse(" 30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("1H")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void namesWhatItCannotRead() {
    assertThatThrownBy(() -> Durations.parse("soon"))
        .hasMessageContaining("'soon' is not a duration");
    assertThatThrownBy(() -> Durations.parse("5d")).hasMessageContaining("expected e.g. 250ms");
  }
}
