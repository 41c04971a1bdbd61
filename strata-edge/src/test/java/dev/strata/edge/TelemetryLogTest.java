package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.control.LatencyHistogram;
import dev.strata.control.TelemetryRecord;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TelemetryLogTest {
  @TempDir Path dir;

  static TelemetryRecord draft(long requests) {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    return new TelemetryRecord(
        1,
        "det",
        1,
        t,
        t.plusSeconds(10),
        requests,
        0,
        0,
        0,
        new LatencyHistogram(
            LatencyHistogram.DEFAULT_BOUNDS_MICROS,
            Collections.nCopies(LatencyHistogram.DEFAULT_BOUNDS_MICROS.size() + 1, 0L),
            0,
            0));
  }

  @Test
  void recordsAreNumberedKeptUntilAcknowledgedAndSurviveARestart() {
    TelemetryLog log = TelemetryLog.open(dir, 1 << 20);
    List<TelemetryRecord> written = log.append(List.of(draft(1), draft(2), draft(3)));
    assertThat(written).extracting(TelemetryRecord::sequence).containsExactly(1L, 2L, 3L);
    assertThat(log.oldest(2)).extracting(TelemetryRecord::requests).containsExactly(1L, 2L);

    log.acknowledge(2);
    assertThat(log.oldest(10)).extracting(TelemetryRecord::sequence).containsExactly(3L);

    TelemetryLog reopened = TelemetryLog.open(dir, 1 << 20);
    assertThat(reopened.oldest(10)).extracting(TelemetryRecord::sequence).containsExactly(3L);
    assertThat(reopened.append(List.of(draft(4))).getFirst().sequence()).isEqualTo(4);
  }

  @Test
  void aWriterThatIsInterruptedStillWritesItsRecords() {
    TelemetryLog log = TelemetryLog.open(dir, 1 << 20);
    log.append(List.of(draft(1)));
    // The agent stopping its scheduler interrupts the thread writing the last interval.
    Thread.currentThread().interrupt();
    List<TelemetryRecord> written;
    try {
      written = log.append(List.of(draft(2), draft(3)));
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(written).extracting(TelemetryRecord::sequence).containsExactly(2L, 3L);
    assertThat(TelemetryLog.open(dir, 1 << 20).oldest(10))
        .extracting(TelemetryRecord::requests)
        .containsExactly(1L, 2L, 3L);
  }

  @Test
  void sequenceNumbersKeepGrowingAfterEverythingWasAcknowledged() throws IOException {
    TelemetryLog log = TelemetryLog.open(dir, 1 << 20);
    log.append(List.of(draft(1), draft(2)));
    log.acknowledge(2);
    assertThat(Files.size(dir.resolve("records.log"))).isZero();

    TelemetryLog reopened = TelemetryLog.open(dir, 1 << 20);
    assertThat(reopened.oldest(10)).isEmpty();
    assertThat(reopened.append(List.of(draft(3))).getFirst().sequence()).isEqualTo(3);
  }

  @Test
  void aTornWriteAtTheEndIsCutOffAndTheRestKept() throws IOException {
    TelemetryLog log = TelemetryLog.open(dir, 1 << 20);
    log.append(List.of(draft(1), draft(2)));
    Path file = dir.resolve("records.log");
    long good = Files.size(file);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, 1, 0, 9, 9, 9})); // a frame cut short
    }

    TelemetryLog reopened = TelemetryLog.open(dir, 1 << 20);
    assertThat(reopened.oldest(10)).extracting(TelemetryRecord::requests).containsExactly(1L, 2L);
    assertThat(Files.size(file)).isEqualTo(good);
    assertThat(reopened.append(List.of(draft(3))).getFirst().sequence()).isEqualTo(3);
    assertThat(TelemetryLog.open(dir, 1 << 20).oldest(10)).hasSize(3);
  }

  @Test
  void aDamagedRecordEndsTheReadableLog() throws IOException {
    TelemetryLog log = TelemetryLog.open(dir, 1 << 20);
    log.append(List.of(draft(1)));
    long firstEnd = Files.size(dir.resolve("records.log"));
    log.append(List.of(draft(2)));
    try (FileChannel ch = FileChannel.open(dir.resolve("records.log"), StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {'X'}), firstEnd + 20); // flips the CRC
    }
    assertThat(TelemetryLog.open(dir, 1 << 20).oldest(10))
        .extracting(TelemetryRecord::requests)
        .containsExactly(1L);
  }

  @Test
  void overTheCapTheOldestRecordsAreDropped() throws IOException {
    long cap = 16 * 1024;
    TelemetryLog log = TelemetryLog.open(dir, cap);
    List<TelemetryRecord> all = new ArrayList<>();
    for (int i = 1; i <= 120; i++) {
      all.addAll(log.append(List.of(draft(i))));
    }
    assertThat(Files.size(dir.resolve("records.log"))).isLessThanOrEqualTo(cap);
    assertThat(log.dropped()).isPositive();
    List<TelemetryRecord> kept = log.oldest(Integer.MAX_VALUE);
    assertThat(kept.getLast().sequence()).isEqualTo(120);
    assertThat(kept.size() + log.dropped()).isEqualTo(120);
    // the oldest went: what is kept is the newest, in order
    assertThat(kept.getFirst().sequence()).isEqualTo(120 - kept.size() + 1);
  }
}
