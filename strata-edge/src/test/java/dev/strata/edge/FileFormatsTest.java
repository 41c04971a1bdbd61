package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.DesiredModel;
import dev.strata.control.InferencePolicy;
import dev.strata.control.TelemetryRecord;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.serving.AuthRequest;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of the data directory across agent versions: the frozen files of format 1 (see {@code
 * src/test/resources/formats/README.md}) still load, and a file of a newer format is refused with a
 * message that says what to do.
 */
class FileFormatsTest {
  @TempDir Path dir;

  /** A copy of a frozen data directory (the tests change what they open). */
  private Path frozen(String name) throws IOException, URISyntaxException {
    Path from = Path.of(getClass().getResource("/formats/" + name).toURI());
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path to = dir.resolve(from.relativize(f).toString());
        Files.createDirectories(to.getParent());
        Files.copy(f, to);
      }
    }
    return dir;
  }

  private static StrataException refused(Runnable open) {
    try {
      open.run();
    } catch (StrataException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
      return e;
    }
    throw new AssertionError("a file of a newer format was read");
  }

  @Test
  void theFormat1StateFilesStillLoad() throws Exception {
    Path d = frozen("v1");
    NodeIdentity id = StateFiles.read(d.resolve("node.json"), NodeIdentity.class).orElseThrow();
    assertThat(id.nodeId()).isEqualTo("node-0001");
    assertThat(id.credential()).isEqualTo("stn_0001.fixture-credential-not-a-secret");
    assertThat(id.enrolledAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05.678Z"));

    AppliedState applied =
        StateFiles.read(d.resolve("state/applied.json"), AppliedState.class).orElseThrow();
    assertThat(applied.etag()).contains("\"d-7\"");
    DesiredModel m = applied.models().getFirst();
    assertThat(m.deployment()).isEqualTo("fashion-edge");
    assertThat(m.revision()).isEqualTo(3);
    assertThat(m.manifest().manifest().sha256()).isEqualTo(m.sha256());
    assertThat(m.policy())
        .isEqualTo(
            new InferencePolicy.Cascade(
                ConfidenceMeasure.MAX_PROBABILITY, 0.8, Optional.of("fashion-cnn")));
    assertThat(m.hardExamples().maxSampleBytes()).isEqualTo(1 << 16);

    TargetState desired =
        StateFiles.read(d.resolve("state/desired.json"), TargetState.class).orElseThrow();
    assertThat(desired.state().etag()).isEqualTo("\"d-7\"");
    assertThat(desired.state().models()).containsExactly(m);
  }

  @Test
  void theJsonFilesAreStillWrittenByteForByteAsFormat1() throws Exception {
    Path d = frozen("v1");
    for (var e :
        Map.of(
                "node.json", NodeIdentity.class,
                "state/applied.json", AppliedState.class,
                "state/desired.json", TargetState.class)
            .entrySet()) {
      byte[] frozenBytes = Files.readAllBytes(d.resolve(e.getKey()));
      Object value = StateFiles.read(d.resolve(e.getKey()), e.getValue()).orElseThrow();
      Path rewritten = dir.resolve("rewritten.json");
      StateFiles.write(rewritten, value, false);
      assertThat(Files.readAllBytes(rewritten)).as(e.getKey()).isEqualTo(frozenBytes);
    }
  }

  @Test
  void aJsonFileWithoutAVersionIsFormat1() throws Exception {
    Path file = frozen("v1").resolve("node.json");
    String text = Files.readString(file).replace(",\n  \"schema\" : 1", "");
    assertThat(text).doesNotContain("schema");
    Files.writeString(file, text);
    assertThat(StateFiles.read(file, NodeIdentity.class)).isPresent();
  }

  @Test
  void theFormat1TelemetryLogStillLoadsAndTakesNewRecords() throws Exception {
    Path telemetry = frozen("v1").resolve("telemetry");
    TelemetryLog log = TelemetryLog.open(telemetry, 1 << 20);
    assertThat(log.oldest(10))
        .extracting(TelemetryRecord::sequence, TelemetryRecord::requests)
        .containsExactly(tuple(2L, 20L), tuple(3L, 30L));

    log.append(List.of(TelemetryLogTest.draft(40)));
    log.acknowledge(2);
    TelemetryLog reopened = TelemetryLog.open(telemetry, 1 << 20);
    assertThat(reopened.oldest(10)).extracting(TelemetryRecord::sequence).containsExactly(3L, 4L);
    assertThat(Files.readString(telemetry.resolve("acked"))).contains("\"schema\" : 1");
  }

  @Test
  void theFormat1InferenceTokensStillLoad() throws Exception {
    Path file = frozen("v1").resolve("inference-tokens");
    String token =
        Files.readAllLines(file).stream().filter(l -> l.startsWith("sti_")).findFirst().get();
    InferenceTokens tokens = InferenceTokens.open(file);
    AuthRequest request =
        new AuthRequest(
            AuthRequest.HTTP,
            "POST",
            "/v2/models/m/infer",
            h ->
                h.equalsIgnoreCase("Authorization")
                    ? Optional.of("Bearer " + token)
                    : Optional.empty());
    assertThat(tokens.authorize(request).toCompletableFuture())
        .succeedsWithin(Duration.ofSeconds(1));
  }

  @Test
  void aStateFileOfANewerFormatIsRefusedNamingIt() throws Exception {
    Path applied = frozen("newer").resolve("state/applied.json");
    assertThat(refused(() -> StateFiles.read(applied, AppliedState.class)))
        .hasMessage(applied + " has format version 3; this agent reads up to 1: upgrade the agent");
  }

  @Test
  void aTelemetryLogWithARecordOfANewerFormatIsRefusedAndKept() throws Exception {
    Path telemetry = frozen("v1").resolve("telemetry");
    TelemetryLog.open(telemetry, 1 << 20).append(List.of(TelemetryLogTest.draft(40)));
    Path records = telemetry.resolve("records.log");
    byte[] bytes = Files.readAllBytes(records);
    // the last frame is the newest: restamp it (and its checksum) as a future agent would write it
    byte[] future =
        new String(bytes, StandardCharsets.ISO_8859_1)
            .replace("\"schema\":1}", "\"schema\":2}")
            .getBytes(StandardCharsets.ISO_8859_1);
    restampLastChecksum(future);
    Files.write(records, future);

    assertThat(refused(() -> TelemetryLog.open(telemetry, 1 << 20)))
        .hasMessage(records + " has format version 2; this agent reads up to 1: upgrade the agent");
    assertThat(Files.readAllBytes(records)).isEqualTo(future);
  }

  /** Recomputes the CRC-32C of the log's last frame (4-byte length, 4-byte CRC, JSON). */
  private static void restampLastChecksum(byte[] log) {
    ByteBuffer b = ByteBuffer.wrap(log);
    int at = 0;
    int last = 0;
    while (at < log.length) {
      last = at;
      at += 8 + b.getInt(at);
    }
    int length = b.getInt(last);
    CRC32C crc = new CRC32C();
    crc.update(log, last + 8, length);
    b.putInt(last + 4, (int) crc.getValue());
  }

  @Test
  void anAckedFileOfANewerFormatIsRefused() throws Exception {
    Path telemetry = frozen("v1").resolve("telemetry");
    Files.writeString(telemetry.resolve("acked"), "{\"sequence\": 1, \"schema\": 4}");
    assertThat(refused(() -> TelemetryLog.open(telemetry, 1 << 20)))
        .hasMessageEndingWith(
            "acked has format version 4; this agent reads up to 1: upgrade the agent");
  }

  @Test
  void inferenceTokensOfANewerFormatAreRefused() throws Exception {
    Path file = frozen("v1").resolve("inference-tokens");
    Files.writeString(file, InferenceTokens.HEADER + "2\nsti_x\n");
    assertThat(refused(() -> InferenceTokens.open(file)))
        .hasMessage(file + " has format version 2; this agent reads up to 1: upgrade the agent");
  }

  @Test
  void newInferenceTokensStateTheirFormat() throws Exception {
    Path file = dir.resolve("inference-tokens");
    InferenceTokens.open(file);
    assertThat(Files.readAllLines(file).getFirst()).isEqualTo(InferenceTokens.HEADER + "1");
    InferenceTokens.open(file); // and read back
  }
}
