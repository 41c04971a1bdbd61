package dev.strata.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.control.TelemetryRecord;
import dev.strata.core.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Telemetry records waiting for the cloud, on disk: {@code records.log} holds frames of a 4-byte
 * length, a 4-byte CRC-32C and the record's JSON, appended and forced to disk per interval; {@code
 * acked} holds the sequence number of the last record the cloud has acknowledged. A crash loses at
 * most the interval being written: a torn or damaged frame at the end is cut off when the log is
 * opened. Beyond {@code capBytes} the oldest records are dropped (the cloud sees the gap in the
 * sequence numbers). Records are numbered here, one more than the last ever written.
 *
 * <p>Each record's JSON carries its format version ({@code schema}); a record without one is format
 * 1. A log holding a record of a newer format is refused when opened, not cut off as damaged.
 * {@code acked} is one of the agent's JSON files ({@link StateFiles}); a bare number there is
 * format 1 as first written.
 */
final class TelemetryLog {
  /** The format of the records this agent writes, and the newest it reads. */
  static final int FORMAT = 1;

  private static final Logger LOG = LoggerFactory.getLogger(TelemetryLog.class);
  private static final int HEADER = 8;
  private static final int MAX_FRAME = 1 << 20;

  private final Path log;
  private final Path ackedFile;
  private final long capBytes;
  private long acked;
  private long nextSequence;
  private long firstUnacked;
  private long size;
  private long dropped;

  private TelemetryLog(Path dir, long capBytes) {
    this.log = dir.resolve("records.log");
    this.ackedFile = dir.resolve("acked");
    this.capBytes = capBytes;
  }

  /** Opens (or creates) the log in {@code dir}, cutting off a damaged end. */
  static TelemetryLog open(Path dir, long capBytes) {
    TelemetryLog t = new TelemetryLog(dir, capBytes);
    try {
      Files.createDirectories(dir);
      t.recover();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the telemetry log in " + dir, e);
    }
    return t;
  }

  private void recover() throws IOException {
    acked = readAcked();
    long maxSequence = acked;
    firstUnacked = -1;
    long end = 0;
    if (Files.exists(log)) {
      List<Frame> frames = readFrames(0, Integer.MAX_VALUE);
      for (Frame f : frames) {
        maxSequence = Math.max(maxSequence, f.record.sequence());
        if (firstUnacked < 0 && f.record.sequence() > acked) {
          firstUnacked = f.offset;
        }
        end = f.offset + f.length;
      }
      long fileSize = Files.size(log);
      if (end < fileSize) {
        LOG.warn(
            "telemetry log {}: cut off {} damaged bytes at its end (a crash while writing)",
            log,
            fileSize - end);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
          ch.truncate(end);
          ch.force(true);
        }
      }
    }
    size = end;
    nextSequence = maxSequence + 1;
    if (firstUnacked < 0) {
      firstUnacked = size;
    }
    if (firstUnacked == size && size > 0) {
      truncateAll();
    }
  }

  /** The acknowledged sequence number: a bare number (format 1 as first written) or an object. */
  private long readAcked() throws IOException {
    String text;
    try {
      text = Files.readString(ackedFile, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      return 0;
    }
    if (!text.isEmpty() && text.chars().allMatch(Character::isDigit)) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        // out of range: damaged, below
      }
    }
    return StateFiles.read(ackedFile, Acked.class).map(Acked::sequence).orElse(0L);
  }

  /** What {@code acked} holds, as one of the agent's JSON files. */
  record Acked(long sequence) {}

  /** Appends records (numbering them) and forces them to disk; drops the oldest over the cap. */
  synchronized List<TelemetryRecord> append(List<TelemetryRecord> drafts) {
    if (drafts.isEmpty()) {
      return List.of();
    }
    List<TelemetryRecord> numbered = new ArrayList<>(drafts.size());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (TelemetryRecord d : drafts) {
      TelemetryRecord r = withSequence(d, nextSequence++);
      numbered.add(r);
      writeFrame(out, r);
    }
    byte[] bytes = out.toByteArray();
    try {
      if (size + bytes.length > capBytes) {
        compact(Math.max(0, capBytes * 3 / 4 - bytes.length));
      }
      // RandomAccessFile, not a FileChannel: a channel closes itself when the writing thread is
      // interrupted (the agent stopping its scheduler while the last interval is written), which
      // tore the write and lost the interval's records.
      try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
        f.seek(size);
        f.write(bytes);
        f.getFD().sync();
      }
      size += bytes.length;
    } catch (IOException e) {
      nextSequence -= drafts.size(); // nothing of these was kept: their numbers are free again
      throw new UncheckedIOException("cannot append to " + log, e);
    }
    return numbered;
  }

  /** Up to {@code max} records not yet acknowledged, oldest first. */
  synchronized List<TelemetryRecord> oldest(int max) {
    try {
      return readFrames(firstUnacked, max).stream().map(f -> f.record).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }

  /** The cloud has every record up to {@code sequence}. */
  synchronized void acknowledge(long sequence) {
    if (sequence <= acked) {
      return;
    }
    try {
      StateFiles.write(ackedFile, new Acked(sequence), false);
      acked = sequence;
      for (Frame f : readFrames(firstUnacked, Integer.MAX_VALUE)) {
        if (f.record.sequence() > acked) {
          break;
        }
        firstUnacked = f.offset + f.length;
      }
      if (firstUnacked >= size) {
        truncateAll();
      } else if (firstUnacked > capBytes / 2) {
        compact(capBytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot acknowledge telemetry in " + log, e);
    }
  }

  /** Records dropped because the log was full, since this process started. */
  synchronized long dropped() {
    return dropped;
  }

  /** Bytes of unacknowledged records. */
  synchronized long pendingBytes() {
    return size - firstUnacked;
  }

  /** Rewrites the log with its unacknowledged records, the oldest dropped to fit {@code target}. */
  private void compact(long target) throws IOException {
    List<Frame> frames = readFrames(firstUnacked, Integer.MAX_VALUE);
    long total = 0;
    for (Frame f : frames) {
      total += f.length;
    }
    int from = 0;
    while (from < frames.size() && total > target) {
      total -= frames.get(from).length;
      from++;
    }
    if (from > 0) {
      dropped += from;
      LOG.warn("telemetry buffer full ({} bytes): dropped the {} oldest records", capBytes, from);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) total);
    for (Frame f : frames.subList(from, frames.size())) {
      writeFrame(out, f.record);
    }
    AtomicFiles.write(log, out.toByteArray());
    firstUnacked = 0;
    size = out.size();
  }

  private void truncateAll() throws IOException {
    try (FileChannel ch =
        FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.truncate(0);
      ch.force(true);
    }
    size = 0;
    firstUnacked = 0;
  }

  private record Frame(long offset, int length, TelemetryRecord record) {}

  /** Frames from {@code offset} up to a damaged one or the end of the file. */
  private List<Frame> readFrames(long offset, int max) throws IOException {
    List<Frame> out = new ArrayList<>();
    if (!Files.exists(log)) {
      return out;
    }
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
      long end = ch.size();
      long at = offset;
      ByteBuffer header = ByteBuffer.allocate(HEADER);
      while (out.size() < max && at + HEADER <= end) {
        header.clear();
        readFully(ch, header, at);
        int length = header.getInt(0);
        int crc = header.getInt(4);
        if (length <= 0 || length > MAX_FRAME || at + HEADER + length > end) {
          break;
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(ch, body, at + HEADER);
        CRC32C c = new CRC32C();
        c.update(body.array(), 0, length);
        if ((int) c.getValue() != crc) {
          break;
        }
        JsonNode node;
        try {
          node = Json.mapper().readTree(body.array());
        } catch (IOException e) {
          break;
        }
        OptionalInt format = node.isObject() ? FileFormat.of(node) : OptionalInt.empty();
        if (format.isEmpty()) {
          break;
        }
        FileFormat.check(log, format.getAsInt(), FORMAT); // never cut off a newer agent's records
        TelemetryRecord r;
        try {
          r = Json.mapper().treeToValue(node, TelemetryRecord.class);
        } catch (IOException | RuntimeException e) {
          break;
        }
        out.add(new Frame(at, HEADER + length, r));
        at += HEADER + length;
      }
    }
    return out;
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      int n = ch.read(b, p);
      if (n < 0) {
        throw new IOException("unexpected end of the telemetry log");
      }
      p += n;
    }
  }

  private static void writeFrame(ByteArrayOutputStream out, TelemetryRecord r) {
    ObjectNode node = Json.mapper().valueToTree(r);
    node.put(FileFormat.FIELD, FORMAT);
    byte[] json = Json.writeBytes(node);
    CRC32C c = new CRC32C();
    c.update(json);
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    header.putInt(json.length).putInt((int) c.getValue());
    out.writeBytes(header.array());
    out.writeBytes(json);
  }

  private static TelemetryRecord withSequence(TelemetryRecord r, long sequence) {
    return new TelemetryRecord(
        sequence,
        r.deployment(),
        r.revision(),
        r.start(),
        r.end(),
        r.requests(),
        r.errors(),
        r.escalations(),
        r.fallbacks(),
        r.latency());
  }
}
