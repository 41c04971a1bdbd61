package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.CloudApiClient;
import dev.strata.api.Variant;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Json;
import dev.strata.federated.client.FederatedParticipant;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.RawImage;
import dev.strata.registry.testing.TestDb;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.IdxFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No byte of any training sample leaves a node (issue 12 §2): three nodes' federated clients run
 * here against a cloud process, one plain and one secure-aggregation job, while every request body
 * and path they send is recorded; then no 8-byte run of any of their samples — raw pixels or the
 * preprocessed float32 features — appears anywhere in what they sent.
 */
@Timeout(300)
class FederatedPrivacyIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path CNN = ROOT.resolve("models/fashion-cnn/model.onnx");
  static final Path SUBSET = ROOT.resolve("data/fashion-mnist-subset");

  @RegisterExtension final Harness harness = new Harness();

  @Test
  void nothingANodeSendsContainsItsSamples() throws Exception {
    CloudProcess cloud = harness.cloud(TestDb.SQLITE);
    CloudApiClient api = cloud.admin().api();
    Variant start = Models.registerOnnx(api, "fashion", CNN, "default");
    long version = start.version();
    ModelProto parent = OnnxModels.readDescription(CNN);
    FittedPipeline pipeline =
        FittedPipeline.fromModelMetadata(OnnxModels.metadata(parent)).orElseThrow();

    Dataset.Images all = DataSources.readIdx(SUBSET, "train");
    List<byte[]> samples = new ArrayList<>();
    List<byte[]> sent = new ArrayList<>();
    List<FederatedParticipant> nodes = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      Path shard = harness.dir().resolve("shard-" + e);
      Files.createDirectories(shard);
      List<RawImage> images = new ArrayList<>();
      int[] labels = new int[200];
      for (int i = 0; i < 200; i++) {
        RawImage img = all.images().get(e * 200 + i);
        images.add(img);
        labels[i] = all.labels()[e * 200 + i];
        samples.add(img.pixels());
        float[] f = pipeline.applyImage(img, "sample");
        ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f);
        samples.add(b.array());
      }
      IdxFiles.writeImages(shard.resolve("train-images-idx3-ubyte.gz"), images);
      IdxFiles.writeLabels(shard.resolve("train-labels-idx1-ubyte.gz"), labels);
      String credential =
          api.enroll(
                  new EnrollRequest(
                      cloud.admin().enrollmentToken(Map.of("train", "yes")), "node-" + e, Map.of()))
              .credential();
      CloudApiClient node = CloudApiClient.create(cloud.url(), credential);
      nodes.add(
          new FederatedParticipant(
              () -> node,
              "node-" + e,
              shard,
              Duration.ofSeconds(1),
              (path, body) -> {
                synchronized (sent) {
                  sent.add(path.getBytes(StandardCharsets.UTF_8));
                  sent.add(body);
                }
              }));
    }

    for (String job : List.of("plain", "secure")) {
      Map<String, Object> spec = new java.util.LinkedHashMap<>();
      spec.put("model", "fashion");
      spec.put("version", Long.toString(version));
      spec.put("selector", "train=yes");
      spec.put("rounds", 2);
      spec.put("clientsPerRound", 3);
      spec.put("minClients", 3);
      spec.put("roundDeadline", "PT60S");
      spec.put(
          "local", Map.of("epochs", 1, "batchSize", 32, "learningRate", 0.005, "momentum", 0.9));
      spec.put("strategy", Map.of("type", "fedavg"));
      spec.put("secureAggregation", job.equals("secure"));
      spec.put("clippingRange", 8);
      spec.put("dropoutTolerance", 0.3);
      api.exchange(
          "POST",
          "/api/v1/federated/jobs",
          "application/json",
          Json.writeBytes(Map.of("id", job, "spec", spec)));
      // the nodes take turns on this thread: one DJL engine, one gradient collector at a time
      long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (!state(api, job).equals("COMPLETED")) {
        assertThat(System.nanoTime()).as("job %s completes", job).isLessThan(until);
        boolean any = false;
        for (FederatedParticipant n : nodes) {
          any |= n.step();
        }
        if (!any) {
          Thread.sleep(200);
        }
      }
    }
    nodes.forEach(FederatedParticipant::close);

    long[] windows = windows(sent);
    int checked = 0;
    for (byte[] s : samples) {
      for (int i = 0; i + 8 <= s.length; i++) {
        if (!informative(s, i)) {
          continue; // background and near-zero runs also occur in any vector of small numbers
        }
        checked++;
        long w = ByteBuffer.wrap(s, i, 8).getLong();
        if (Arrays.binarySearch(windows, w) >= 0) {
          throw new AssertionError(
              "8 bytes of a training sample ("
                  + Arrays.toString(Arrays.copyOfRange(s, i, i + 8))
                  + " at offset "
                  + i
                  + " of "
                  + s.length
                  + ") found in "
                  + where(sent, w));
        }
      }
    }
    assertThat(checked).as("sample windows checked").isGreaterThan(50_000);
    assertThat(sent.stream().mapToLong(b -> b.length).sum())
        .as("bytes sent")
        .isGreaterThan(1_000_000);
  }

  private static String where(List<byte[]> messages, long w) {
    for (int k = 0; k < messages.size(); k++) {
      byte[] m = messages.get(k);
      for (int i = 0; i + 8 <= m.length; i++) {
        if (ByteBuffer.wrap(m).getLong(i) == w) {
          String path =
              k % 2 == 1 ? new String(messages.get(k - 1), StandardCharsets.UTF_8) : "a path";
          return "message "
              + k
              + " ("
              + path
              + ", "
              + m.length
              + " bytes) at "
              + i
              + ": "
              + new String(
                  Arrays.copyOfRange(m, Math.max(0, i - 40), Math.min(m.length, i + 48)),
                  StandardCharsets.ISO_8859_1);
        }
      }
    }
    return "?";
  }

  private static String state(CloudApiClient api, String job) throws Exception {
    JsonNode d =
        Json.mapper()
            .readTree(api.exchange("GET", "/api/v1/federated/jobs/" + job, null, null).body());
    return d.get("job").get("state").asText();
  }

  /** Every 8-byte window of every message, as big-endian longs, sorted. */
  private static long[] windows(List<byte[]> messages) {
    int n = 0;
    for (byte[] m : messages) {
      n += Math.max(0, m.length - 7);
    }
    long[] out = new long[n];
    int k = 0;
    for (byte[] m : messages) {
      ByteBuffer b = ByteBuffer.wrap(m);
      for (int i = 0; i + 8 <= m.length; i++) {
        out[k++] = b.getLong(i);
      }
    }
    Arrays.sort(out);
    return out;
  }

  /** Five or more distinct byte values, at most two of them zero bytes. */
  private static boolean informative(byte[] s, int at) {
    java.util.Set<Byte> seen = new java.util.HashSet<>();
    int zeros = 0;
    for (int i = at; i < at + 8; i++) {
      seen.add(s[i]);
      zeros += s[i] == 0 ? 1 : 0;
    }
    return seen.size() >= 5 && zeros <= 2;
  }
}
