package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxGraphBuilder;
import dev.strata.onnx.OnnxModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How config.json and the ONNX file are reconciled into what a version accepts. */
class SignatureTest {
  private static ModelSignature resolve(ModelProto model, String json) {
    return ModelSignature.resolve(
        "m",
        ModelConfig.parse("config.json", json),
        OnnxModels.inputs(model),
        OnnxModels.outputs(model),
        32,
        file -> List.of("a", "b", "c"),
        OnnxModels.metadata(model));
  }

  private static ModelProto fixedFirstDim() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("fixed");
    String in = g.input("x", DataType.FP32, Shape.of(1, 4));
    g.output(g.node("Identity", List.of(in), Map.of(), "y"), DataType.FP32, Shape.of(1, 4));
    return g.build();
  }

  private static ModelProto anyShape() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("any");
    String in = g.input("x", DataType.FP32, Shape.of(-1, -1));
    g.output(g.node("Identity", List.of(in), Map.of(), "y"), DataType.FP32, Shape.of(-1, -1));
    return g.build();
  }

  @Test
  void aDynamicFirstDimensionMeansBatchingWithTheDefaultLimit() {
    ModelSignature s = resolve(ExampleModels.mlp(4, 8, 3, 1), "{}");
    assertThat(s.maxBatchSize()).isEqualTo(32);
    assertThat(s.inputs()).containsExactly(new TensorSpec("input", DataType.FP32, Shape.of(4)));
    assertThat(s.outputs())
        .containsExactly(new TensorSpec("probabilities", DataType.FP32, Shape.of(3)));
  }

  @Test
  void aFixedFirstDimensionMeansNoBatching() {
    ModelSignature s = resolve(fixedFirstDim(), "{}");
    assertThat(s.maxBatchSize()).isZero();
    assertThat(s.inputs()).containsExactly(new TensorSpec("x", DataType.FP32, Shape.of(1, 4)));
    assertThatThrownBy(() -> resolve(fixedFirstDim(), "{\"max_batch_size\": 8}"))
        .hasMessageContaining(
            "max_batch_size 8 needs a dynamic first (batch) dimension, but input 'x' has shape [1, 4]");
  }

  @Test
  void configuredTensorsAreCheckedAgainstTheModel() {
    ModelProto mlp = ExampleModels.mlp(4, 8, 3, 1);
    String ok = "{\"inputs\": [{\"name\": \"input\", \"data_type\": \"FP32\", \"dims\": [4]}]}";
    assertThat(resolve(mlp, ok).inputs().getFirst().shape()).isEqualTo(Shape.of(4));

    assertThatThrownBy(
            () ->
                resolve(
                    mlp,
                    "{\"inputs\": [{\"name\": \"input\", \"data_type\": \"FP64\", \"dims\": [4]}]}"))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("config input 'input': data_type FP64, but the ONNX model says FP32");
    assertThatThrownBy(
            () ->
                resolve(
                    mlp,
                    "{\"inputs\": [{\"name\": \"input\", \"data_type\": \"FP32\", \"dims\": [5]}]}"))
        .hasMessageContaining("config input 'input': dims [5] do not fit the ONNX model's [4]");
    assertThatThrownBy(
            () ->
                resolve(
                    mlp,
                    "{\"inputs\": [{\"name\": \"image\", \"data_type\": \"FP32\", \"dims\": [4]}]}"))
        .hasMessageContaining(
            "config input 'image' is not an input of the ONNX model (it has: [input])");
    assertThatThrownBy(
            () ->
                resolve(
                    ExampleModels.identityAllTypes(),
                    "{\"inputs\": [{\"name\": \"in_FP32\", \"data_type\": \"FP32\", \"dims\": [3]}]}"))
        .hasMessageContaining("config inputs leave out [in_BOOL,");
  }

  @Test
  void aConfigMayFixADynamicDimensionButNotLoosenAFixedOne() {
    String fixes = "{\"inputs\": [{\"name\": \"x\", \"data_type\": \"FP32\", \"dims\": [3]}]}";
    assertThat(resolve(anyShape(), fixes).inputs().getFirst().shape()).isEqualTo(Shape.of(3));
    String loosens =
        "{\"inputs\": [{\"name\": \"input\", \"data_type\": \"FP32\", \"dims\": [-1]}]}";
    assertThatThrownBy(() -> resolve(ExampleModels.mlp(4, 8, 3, 1), loosens))
        .hasMessageContaining("dims [-1] do not fit the ONNX model's [4]");
  }

  @Test
  void configuredOutputsSelectWhatIsServedAndCarryLabels() {
    ModelSignature s =
        resolve(
            ExampleModels.identityAllTypes(),
            "{\"outputs\": [{\"name\": \"out_INT32\", \"data_type\": \"INT32\", \"dims\": [3],"
                + " \"labels\": \"l.txt\"}]}");
    assertThat(s.outputs()).extracting(TensorSpec::name).containsExactly("out_INT32");
    assertThat(s.outputNames()).containsExactly("out_INT32");
    assertThat(s.labels(0)).containsExactly("a", "b", "c");
  }
}
