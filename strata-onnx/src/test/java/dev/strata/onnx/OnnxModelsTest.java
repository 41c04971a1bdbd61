package dev.strata.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelsTest {
  @TempDir Path dir;

  @Test
  void inputDimNamesKeepTheSymbolicDimensionsInputsShare() throws Exception {
    Path file = dir.resolve("tokens.onnx");
    OnnxModels.write(ExampleModels.tokenEmbedding(8, 2), file);
    ModelProto description = OnnxModels.readDescription(file);
    assertThat(OnnxModels.inputDimNames(description))
        .containsExactly(
            Map.entry("input_ids", List.of("batch", "sequence")),
            Map.entry("attention_mask", List.of("batch", "sequence")));
    // Fixed axes have no name; the builder's own -1 axes after the first are the input's own.
    assertThat(OnnxModels.inputDimNames(ExampleModels.identityAllTypes()).get("in_FP32"))
        .containsExactly("batch", "");
    OnnxGraphBuilder g = OnnxGraphBuilder.create("g");
    String x = g.input("x", DataType.FP32, Shape.of(-1, -1));
    g.output(g.node("Identity", List.of(x), Map.of(), "y"), DataType.FP32, Shape.of(-1, -1));
    assertThat(OnnxModels.inputDimNames(g.build()).get("x")).containsExactly("batch", "x_1");
  }

  @Test
  void descriptionAnswersAsTheWholeModelWithoutTheWeights() throws Exception {
    ModelProto cnn =
        OnnxModels.withMetadata(
            ExampleModels.smallCnn(3), Map.of("strata.labels", "[\"a\",\"b\"]", "k", "v"));
    Path file = dir.resolve("cnn.onnx");
    OnnxModels.write(cnn, file);

    ModelProto whole = OnnxModels.read(file);
    ModelProto description = OnnxModels.readDescription(file);

    assertThat(OnnxModels.inputs(description)).isEqualTo(OnnxModels.inputs(whole));
    assertThat(OnnxModels.outputs(description)).isEqualTo(OnnxModels.outputs(whole));
    assertThat(OnnxModels.metadata(description)).isEqualTo(OnnxModels.metadata(whole));
    assertThat(description.getGraph().getInitializerCount())
        .isEqualTo(whole.getGraph().getInitializerCount())
        .isPositive();
    assertThat(description.getGraph().getNodeCount()).isZero();
    assertThat(description.getSerializedSize()).isLessThan(whole.getSerializedSize() / 10);
  }

  @Test
  void initializersListedAsGraphInputsAreNotInputs() throws Exception {
    ModelProto mlp = ExampleModels.mlp(4, 8, 3, 1);
    String weight = mlp.getGraph().getInitializer(0).getName();
    ModelProto.Builder b = mlp.toBuilder();
    b.getGraphBuilder().addInput(ValueInfoProto.newBuilder().setName(weight));
    Path file = dir.resolve("mlp.onnx");
    OnnxModels.write(b.build(), file);

    assertThat(OnnxModels.inputs(OnnxModels.readDescription(file)))
        .isEqualTo(OnnxModels.inputs(mlp))
        .hasSize(1);
  }

  @Test
  void aFileThatIsNotAModelIsRefusedByName() throws Exception {
    Path garbage = dir.resolve("garbage.onnx");
    Files.write(garbage, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02});
    Path empty = dir.resolve("empty.onnx");
    Files.write(empty, new byte[0]);

    assertThatThrownBy(() -> OnnxModels.readDescription(garbage))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("garbage.onnx: not an ONNX model")
        .extracting(e -> ((StrataException) e).code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThatThrownBy(() -> OnnxModels.readDescription(empty))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("empty.onnx: not an ONNX model (no graph)");
  }
}
