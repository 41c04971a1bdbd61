package dev.strata.runtime;

import static dev.strata.runtime.TestRepo.request;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.strata.core.DataType;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.onnx.ExampleModels;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceTest {
  @TempDir Path dir;
  TestRepo repo;
  ModelManager runtime;

  @BeforeEach
  void setUp() {
    repo = new TestRepo(dir).mlp("mlp", 1, 7);
    runtime = repo.start();
  }

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  @Test
  void answersLikeOnnxRuntimeInProcess() throws Exception {
    Tensor input = rows(3, 0.5f);
    InferenceResponse response =
        runtime.infer(request("mlp", Optional.empty(), "req-1", List.of(), input)).get();

    assertThat(response.model()).isEqualTo("mlp");
    assertThat(response.version()).isEqualTo("1");
    assertThat(response.id()).isEqualTo("req-1");
    Tensor out = response.output(ExampleModels.OUTPUT).orElseThrow();
    assertThat(out.datatype()).isEqualTo(DataType.FP32);
    assertThat(out.shape()).isEqualTo(Shape.of(3, 3));
    assertThat(out.floats()).containsExactly(direct(input), within(1e-6f));
  }

  @Test
  void takesInputInDirectMemoryAsIs() throws Exception {
    Tensor heap = rows(2, 0.25f);
    java.nio.ByteBuffer direct =
        java.nio.ByteBuffer.allocateDirect(heap.byteSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    direct.put(heap.data()).flip();
    Tensor input = new Tensor("input", DataType.FP32, heap.shape(), direct);

    InferenceResponse response = runtime.infer(request("mlp", input)).get();

    assertThat(response.outputs().getFirst().floats()).containsExactly(direct(heap), within(1e-6f));
  }

  @Test
  void metadataShowsTheBatchDimensionAsMinusOneAsTritonDoes() {
    ModelMetadata m = runtime.modelMetadata("mlp", Optional.empty());

    assertThat(m.versions()).containsExactly("1");
    assertThat(m.platform()).isEqualTo("onnxruntime_onnx");
    assertThat(m.inputs()).containsExactly(new TensorSpec("input", DataType.FP32, Shape.of(-1, 4)));
    assertThat(m.outputs())
        .containsExactly(new TensorSpec("probabilities", DataType.FP32, Shape.of(-1, 3)));
    assertThat(m.parameters()).containsEntry("max_batch_size", 32);
    // The advertised shape, with any batch size in place of -1, is what the model takes.
    Shape advertised = m.inputs().getFirst().shape();
    for (int batch : new int[] {1, 3}) {
      Tensor input = rows(batch, 0.5f);
      assertThat(advertised.accepts(input.shape())).isTrue();
      assertThat(runtime.infer(request("mlp", input)).join().outputs().getFirst().shape())
          .isEqualTo(Shape.of(batch, 3));
    }
    assertThat(runtime.serverMetadata().name()).isEqualTo("strata");
    assertThat(runtime.serverMetadata().extensions())
        .contains("classification", "model_configuration", "model_repository", "statistics");
    assertThat(runtime.ready()).isTrue();
    assertThat(runtime.modelReady("mlp", Optional.of("1"))).isTrue();
    assertThat(runtime.modelReady("mlp", Optional.of("2"))).isFalse();
  }

  @Test
  void classifiesTopKAsTritonFormatsIt() throws Exception {
    Tensor input = rows(2, 0.1f);
    float[] probs = direct(input);
    InferenceResponse response =
        runtime
            .infer(
                request(
                    "mlp",
                    Optional.empty(),
                    "",
                    List.of(new OutputRequest(ExampleModels.OUTPUT, 2, Map.of())),
                    input))
            .get();

    Tensor out = response.outputs().getFirst();
    assertThat(out.datatype()).isEqualTo(DataType.BYTES);
    assertThat(out.shape()).isEqualTo(Shape.of(2, 2));
    List<String> strings = out.strings();
    for (int row = 0; row < 2; row++) {
      int best = argmax(probs, row * 3, 3, -1);
      int second = argmax(probs, row * 3, 3, best);
      assertThat(strings.get(row * 2))
          .isEqualTo(String.format(java.util.Locale.ROOT, "%f:%d", probs[row * 3 + best], best));
      assertThat(strings.get(row * 2 + 1))
          .isEqualTo(
              String.format(java.util.Locale.ROOT, "%f:%d", probs[row * 3 + second], second));
    }
  }

  private static int argmax(float[] v, int from, int n, int skip) {
    int best = -1;
    for (int i = 0; i < n; i++) {
      if (i != skip && (best < 0 || v[from + i] > v[from + best])) {
        best = i;
      }
    }
    return best;
  }

  private float[] direct(Tensor input) throws Exception {
    try (OrtSession session =
            OrtSessions.open(dir.resolve("mlp/1/model.onnx"), SessionSettings.of(1));
        OnnxTensor t =
            OnnxTensor.createTensor(
                OrtSessions.environment(),
                FloatBuffer.wrap(input.floats()),
                input.shape().toArray());
        OrtSession.Result r = session.run(Map.of("input", t))) {
      FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
      float[] out = new float[fb.remaining()];
      fb.get(out);
      return out;
    }
  }
}
