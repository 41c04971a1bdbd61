package dev.strata.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleModelsTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @Test
  void mlpRunsInOnnxRuntimeWithAnyBatchSize() throws Exception {
    ModelProto model = ExampleModels.mlp(4, 8, 3, 42);
    for (int batch : new int[] {1, 5}) {
      float[][] probs = run(model, new long[] {batch, 4});
      assertThat(probs).hasNumberOfRows(batch);
      for (float[] row : probs) {
        assertThat(row).hasSize(3);
        assertThat(row[0] + row[1] + row[2]).isCloseTo(1f, within(1e-5f));
      }
    }
  }

  @Test
  void smallCnnClassifiesTenClasses() throws Exception {
    float[][] probs = run(ExampleModels.smallCnn(7), new long[] {2, 1, 28, 28});
    assertThat(probs).hasNumberOfRows(2);
    assertThat(probs[0]).hasSize(10);
  }

  @Test
  void resnetStyleModelHasElevenMillionWeights() {
    ModelProto model = ExampleModels.resnet18(112, 1000, 1);
    long weights =
        model.getGraph().getInitializerList().stream()
            .mapToLong(t -> t.getDimsList().stream().reduce(1L, (a, b) -> a * b))
            .sum();
    assertThat(weights).isBetween(11_000_000L, 12_000_000L);
    assertThat(OnnxModels.inputs(model).getFirst().shape()).isEqualTo(Shape.of(-1, 3, 112, 112));
  }

  @Test
  void sameSeedGivesSameModel() {
    assertThat(ExampleModels.smallCnn(3).toByteArray())
        .isEqualTo(ExampleModels.smallCnn(3).toByteArray());
  }

  @Test
  void identityModelDeclaresEveryOrtType() {
    ModelProto model = ExampleModels.identityAllTypes();
    assertThat(OnnxModels.inputs(model))
        .extracting(s -> s.datatype())
        .containsExactlyElementsOf(ExampleModels.ortTypes());
    assertThat(OnnxModels.outputs(model)).hasSize(ExampleModels.ortTypes().size());
    assertThat(OnnxModels.inputs(model).getFirst().datatype()).isEqualTo(DataType.BOOL);
  }

  @Test
  void writesAtomicallyAndReadsBackWithMetadata(@TempDir Path dir) throws Exception {
    ModelProto model =
        OnnxModels.withMetadata(ExampleModels.mlp(2, 2, 2, 1), Map.of("labels", "a,b"));
    Path file = dir.resolve("m/1/model.onnx");
    OnnxModels.write(model, file);
    ModelProto back = OnnxModels.read(file);
    assertThat(OnnxModels.metadata(back)).containsEntry("labels", "a,b");
    assertThat(dir.resolve("m/1").toFile().list()).containsExactly("model.onnx");
  }

  private static float[][] run(ModelProto model, long[] shape) throws Exception {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (i % 17) / 17f;
    }
    try (OrtSession session =
            ENV.createSession(model.toByteArray(), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(data), shape);
        OrtSession.Result result = session.run(Map.of(ExampleModels.INPUT, input))) {
      return (float[][]) result.get(0).getValue();
    }
  }
}
