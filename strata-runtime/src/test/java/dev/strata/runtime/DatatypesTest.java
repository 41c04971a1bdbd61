package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelStatistics;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every datatype ONNX Runtime's Java API takes goes through the runtime and back bit for bit. */
class DatatypesTest {
  @TempDir Path dir;

  @Test
  void everyTypeRoundTripsExactlyAlsoWhenRequestsShareABatch() throws Exception {
    // max_batch_size 3 and a long delay: a request of 1 row and one of 2 fill the batch together
    TestRepo repo =
        new TestRepo(dir)
            .model("identity", 1, ExampleModels.identityAllTypes())
            .config(
                "identity",
                """
                {"max_batch_size": 3, "dynamic_batching": {"max_queue_delay_us": 30000000}}
                """);
    try (ModelManager runtime = repo.start()) {
      InferenceRequest one = request(1, 1);
      InferenceRequest two = request(2, 2);
      CompletableFuture<InferenceResponse> f1 = runtime.infer(one);
      CompletableFuture<InferenceResponse> f2 = runtime.infer(two);

      assertRoundTrip(one, f1.get());
      assertRoundTrip(two, f2.get());
      ModelStatistics stats =
          runtime.statistics(Optional.of("identity"), Optional.empty()).getFirst();
      assertThat(stats.executionCount()).isEqualTo(1);
      assertThat(stats.inferenceCount()).isEqualTo(3);
    }
  }

  @Test
  void bfloat16RoundTripsToo() throws Exception {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("bf16");
    String in = g.input("in", DataType.BF16, Shape.of(-1, 3));
    g.output(g.node("Identity", List.of(in), Map.of(), "out"), DataType.BF16, Shape.of(-1, 3));
    TestRepo repo = new TestRepo(dir).model("bf16", 1, g.build());
    try (ModelManager runtime = repo.start()) {
      Tensor t = new Tensor("in", DataType.BF16, Shape.of(2, 3), randomBytes(12, 3));
      InferenceResponse r = runtime.infer(InferenceRequest.of("bf16", List.of(t))).get();
      assertThat(bytes(r.output("out").orElseThrow())).isEqualTo(bytes(t));
    }
  }

  private static void assertRoundTrip(InferenceRequest request, InferenceResponse response) {
    assertThat(response.outputs()).hasSize(ExampleModels.ortTypes().size());
    for (Tensor in : request.inputs()) {
      String type = in.name().substring("in_".length());
      Tensor out = response.output("out_" + type).orElseThrow();
      assertThat(out.datatype()).as(type).isEqualTo(in.datatype());
      assertThat(out.shape()).as(type).isEqualTo(in.shape());
      assertThat(bytes(out)).as(type).isEqualTo(bytes(in));
    }
  }

  private static InferenceRequest request(int rows, long seed) {
    List<Tensor> inputs = new ArrayList<>();
    for (DataType type : ExampleModels.ortTypes()) {
      String name = "in_" + type.name();
      Shape shape = Shape.of(rows, 3);
      if (type == DataType.BYTES) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < rows * 3; i++) {
          values.add(List.of("", "héllo wörld", "日本語 " + seed, "x".repeat(i)).get(i % 4));
        }
        inputs.add(Tensor.ofStrings(name, shape, values));
      } else if (type == DataType.BOOL) {
        boolean[] values = new boolean[rows * 3];
        for (int i = 0; i < values.length; i++) {
          values[i] = (i + seed) % 2 == 0;
        }
        inputs.add(Tensor.ofBooleans(name, shape, values));
      } else {
        inputs.add(new Tensor(name, type, shape, randomBytes(rows * 3 * type.byteSize(), seed)));
      }
    }
    return InferenceRequest.of("identity", inputs);
  }

  private static ByteBuffer randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return ByteBuffer.wrap(b);
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = t.data();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
