package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ProgressTest {
  /** A clock that moves only when told. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void elsewhereOneLinePerQuarter() {
    StringWriter text = new StringWriter();
    ManualClock clock = new ManualClock();
    Progress p = new Progress(new PrintWriter(text), false, "images", 8, clock);
    for (int i = 0; i < 10; i++) {
      clock.now = clock.now.plus(Duration.ofMillis(500));
      p.advance();
    }
    assertThat(p.done()).isEqualTo(8);
    assertThat(text.toString().lines().toList())
        .containsExactly(
            "  images: 2/8 (25%), 2/s",
            "  images: 4/8 (50%), 2/s", "  images: 6/8 (75%), 2/s", "  images: 8/8 (100%), 2/s");
  }

  @Test
  void onATerminalOneLineRedrawnAtMostEvery200Milliseconds() {
    StringWriter text = new StringWriter();
    ManualClock clock = new ManualClock();
    Progress p = new Progress(new PrintWriter(text), true, "images", 100, clock);
    for (int i = 0; i < 100; i++) {
      clock.now = clock.now.plus(Duration.ofMillis(50));
      p.advance();
    }
    String out = text.toString();
    // 5 s in all: a redraw every 4 images, the last one ending the line
    assertThat(out.chars().filter(c -> c == '\r').count()).isEqualTo(25);
    assertThat(out).endsWith("\r  images: 100/100 (100%), 20/s\n");
    assertThat(out.chars().filter(c -> c == '\n').count()).isEqualTo(1);
  }
}
