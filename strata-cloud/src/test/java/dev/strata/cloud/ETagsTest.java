package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ETagsTest {
  @Test
  void quotedUnquotedWeakListsAndStar() {
    assertThat(ETags.matches(Optional.of("\"abc\""), "abc")).isTrue();
    assertThat(ETags.matches(Optional.of("abc"), "abc")).isTrue();
    assertThat(ETags.matches(Optional.of("W/\"abc\""), "abc")).isTrue();
    assertThat(ETags.matches(Optional.of("\"x\", \"abc\""), "abc")).isTrue();
    assertThat(ETags.matches(Optional.of("*"), "abc")).isTrue();
    assertThat(ETags.matches(Optional.of("\"abd\""), "abc")).isFalse();
    assertThat(ETags.matches(Optional.empty(), "abc")).isFalse();
  }
}
