package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.testing.LargePng;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request whose values or shapes the model cannot take is the client's mistake: refused before it
 * is queued where the signature can tell (shared symbolic dimensions, strings that are not UTF-8,
 * images too large to decode), INVALID_ARGUMENT with a short message where only ONNX Runtime can
 * (an index out of a table's range), and never at the cost of the other requests of its batch.
 */
class RequestFaultTest {
  static final int POSITIONS = 512;
  static final int WIDTH = 4;

  @TempDir static Path dir;
  static ModelManager runtime;

  @BeforeAll
  static void start() {
    TestRepo repo =
        new TestRepo(dir)
            .model("tokens", 1, ExampleModels.tokenEmbedding(POSITIONS, WIDTH))
            // Requests wait for each other, so concurrent ones share a batch.
            .config(
                "tokens",
                "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 50000}}")
            // config.json fixes the sequence of one input: the other must follow it.
            .model("fixed", 1, ExampleModels.tokenEmbedding(POSITIONS, WIDTH))
            .config(
                "fixed",
                "{\"max_batch_size\": 8, \"inputs\": ["
                    + "{\"name\": \"input_ids\", \"data_type\": \"INT64\", \"dims\": [4]},"
                    + "{\"name\": \"attention_mask\", \"data_type\": \"INT64\", \"dims\": [-1]}]}")
            .model("identity", 1, ExampleModels.identityAllTypes())
            .model(
                "images",
                1,
                OnnxModels.withMetadata(
                    ExampleModels.smallCnn(4),
                    Map.of(FittedPipeline.METADATA_KEY, RawInputTest.PIPELINE)));
    runtime = repo.start(b -> b.maxImagePixels(1000L * 1000L));
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  static Tensor ids(long... ids) {
    return Tensor.ofLongs("input_ids", Shape.of(1, ids.length), ids);
  }

  static Tensor mask(int length) {
    long[] ones = new long[length];
    java.util.Arrays.fill(ones, 1);
    return Tensor.ofLongs("attention_mask", Shape.of(1, length), ones);
  }

  @Test
  void inputsThatDisagreeOnASharedDimensionAreRefusedNamingBoth() {
    // [1, 1] would broadcast silently against [1, 3]: a wrong answer, not an error, without the
    // check.
    for (int maskLength : new int[] {1, 2}) {
      StrataException e = failure(runtime.infer(request("tokens", ids(1, 2, 3), mask(maskLength))));
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage())
          .contains("'input_ids'", "'attention_mask'", "'sequence'", "3", "" + maskLength);
    }
  }

  @Test
  void aDimensionTheConfigFixesForOneInputHoldsForTheInputsSharingIt() {
    StrataException e = failure(runtime.infer(request("fixed", ids(1, 2, 3, 4), mask(3))));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("'input_ids'", "'attention_mask'", "'sequence'");
    assertThat(failure(runtime.infer(request("fixed", ids(1, 2, 3), mask(3)))).getMessage())
        .contains("input 'input_ids'", "[1, 3]");
    InferenceResponse ok = runtime.infer(request("fixed", ids(1, 2, 3, 4), mask(4))).join();
    assertThat(ok.outputs().getFirst().shape()).isEqualTo(Shape.of(1, 4, WIDTH));
  }

  @Test
  void anIndexOutOfTheTablesRangeIsTheRequestsFaultWithAShortMessage() {
    StrataException e = failure(runtime.infer(request("tokens", ids(0, POSITIONS), mask(2))));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage())
        .contains("model 'tokens'", "Gather node 'Gather_node_0'", "idx=512")
        .doesNotContain("onnxruntime_src", ".cc:", ".h:", "ONNXRuntimeError", "Error code");
  }

  @Test
  void theLastRowOfTheTableIsServed() {
    InferenceResponse r = runtime.infer(request("tokens", ids(POSITIONS - 1), mask(1))).join();
    float[] row = new float[WIDTH];
    for (int j = 0; j < WIDTH; j++) {
      row[j] = (POSITIONS - 1) * WIDTH + j;
    }
    assertThat(r.outputs().getFirst().floats()).containsExactly(row);
  }

  @Test
  void aBadRequestInABatchFailsAloneAndTheOthersGetTheirOwnAnswers() {
    List<CompletableFuture<InferenceResponse>> good = new ArrayList<>();
    List<CompletableFuture<InferenceResponse>> bad = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      if (i % 3 == 1) {
        bad.add(runtime.infer(request("tokens", ids(i, POSITIONS + i), mask(2))));
      } else {
        good.add(runtime.infer(request("tokens", ids(i, i + 100), mask(2))));
      }
    }
    for (CompletableFuture<InferenceResponse> b : bad) {
      assertThat(failure(b).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
    int k = 0;
    for (int i = 0; i < 8; i++) {
      if (i % 3 == 1) {
        continue;
      }
      float[] out = good.get(k++).join().outputs().getFirst().floats();
      assertThat(out[0]).isEqualTo(i * WIDTH);
      assertThat(out[WIDTH]).isEqualTo((i + 100) * WIDTH);
    }
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedNamingTheInputAndTheElement() {
    byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    Tensor t =
        Tensor.ofBytes(
            "in_BYTES",
            Shape.of(1, 3),
            List.of("ok".getBytes(StandardCharsets.UTF_8), latin1, new byte[] {(byte) 0xe2}));
    StrataException e = failure(runtime.infer(request("identity", identityInputs(t))));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("'in_BYTES'", "element 1", "UTF-8");
  }

  @Test
  void validUtf8StringsArriveIntact() {
    List<String> values = List.of("caf\u00e9", "\u65e5\u672c", "\uD83D\uDE00");
    Tensor t = Tensor.ofStrings("in_BYTES", Shape.of(1, 3), values);
    InferenceResponse r = runtime.infer(request("identity", identityInputs(t))).join();
    Tensor out =
        r.outputs().stream().filter(o -> o.name().equals("out_BYTES")).findFirst().orElseThrow();
    assertThat(out.strings()).isEqualTo(values);
  }

  @Test
  void anImageTooLargeIsRefusedFromItsHeaderWithoutDecodingIt() {
    byte[] png = LargePng.gray(16000, 16000);
    assertThat(png.length).isLessThan(1000);
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long allocated = threads.getCurrentThreadAllocatedBytes();
    long start = System.nanoTime();
    StrataException e =
        failure(
            runtime.infer(request("images", Tensor.ofBytes("image", Shape.of(1), List.of(png)))));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    long allocatedMb = (threads.getCurrentThreadAllocatedBytes() - allocated) >> 20;
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("image 0", "16000 x 16000", "limit of 1000000 pixels");
    assertThat(tookMs).isLessThan(2000);
    assertThat(allocatedMb).isLessThan(16);
  }

  /** One tensor for every input of the identity model, {@code t} for its own. */
  private static Tensor[] identityInputs(Tensor t) {
    List<Tensor> inputs = new ArrayList<>();
    for (var type : ExampleModels.ortTypes()) {
      String name = "in_" + type.name();
      inputs.add(
          name.equals(t.name())
              ? t
              : new Tensor(
                  name,
                  type,
                  Shape.of(1, 3),
                  type == dev.strata.core.DataType.BYTES
                      ? Tensor.ofStrings(name, Shape.of(1, 3), List.of("a", "b", "c")).data()
                      : java.nio.ByteBuffer.allocate(3 * type.byteSize())));
    }
    return inputs.toArray(Tensor[]::new);
  }
}
