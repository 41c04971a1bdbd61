package dev.strata.train.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ModelMetadataKeys;
import dev.strata.train.TestSupport;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.PreparedData;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  /** Every layer type, with flatten and a 1-D batch norm, ending in softmax. */
  private static final String ALL_LAYERS_A =
      """
      - {type: conv2d, filters: 4, kernel: 3, padding: 1}
      - {type: batch_norm}
      - {type: gelu}
      - {type: max_pool, kernel: 2}
      - {type: conv2d, filters: 6, kernel: 3, stride: 2, padding: 1, bias: false}
      - {type: batch_norm, epsilon: 0.001, momentum: 0.8}
      - {type: tanh}
      - {type: avg_pool, kernel: 3, stride: 2, padding: 1}
      - {type: sigmoid}
      - {type: flatten}
      - {type: dropout, rate: 0.5}
      - {type: linear, units: 16}
      - {type: batch_norm}
      - {type: relu}
      - {type: linear, units: 10, bias: false}
      - {type: softmax}
      """;

  /** Global average pooling, no softmax: the model outputs logits. */
  private static final String ALL_LAYERS_B =
      """
      - {type: conv2d, filters: 8, kernel: 5, stride: 1, padding: 2}
      - {type: relu}
      - {type: global_avg_pool}
      - {type: linear, units: 10}
      """;

  @Test
  void everyLayerExportsAndOnnxRuntimeMatchesDjl(@TempDir Path dir) throws Exception {
    ModelProto a = trainAndExport(ALL_LAYERS_A, dir.resolve("a"));
    Set<String> ops =
        a.getGraph().getNodeList().stream().map(NodeProto::getOpType).collect(Collectors.toSet());
    assertThat(ops)
        .contains(
            "Conv",
            "BatchNormalization",
            "Erf",
            "MaxPool",
            "Tanh",
            "AveragePool",
            "Sigmoid",
            "Flatten",
            "Gemm",
            "Relu",
            "Softmax")
        .doesNotContain("Dropout");
    assertThat(a.getOpsetImport(0).getVersion()).isGreaterThanOrEqualTo(13);
    assertThat(OnnxModels.inputs(a).getFirst().name()).isEqualTo("input");
    assertThat(
            a.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam())
        .isEqualTo("batch");
    assertThat(OnnxModels.outputs(a).getFirst().name()).isEqualTo("probabilities");

    Map<String, String> meta = OnnxModels.metadata(a);
    assertThat(meta)
        .containsKeys(
            ModelMetadataKeys.FORMAT_VERSION,
            ModelMetadataKeys.PREPROCESS,
            ModelMetadataKeys.LABELS,
            ModelMetadataKeys.TASK,
            ModelMetadataKeys.PROVENANCE,
            ModelMetadataKeys.METRICS);
    assertThat(meta.get(ModelMetadataKeys.LABELS)).startsWith("[\"T-shirt/top\",\"Trouser\"");
    assertThat(meta.get(ModelMetadataKeys.PROVENANCE))
        .contains("\"dataset_digest\":\"sha256:")
        .contains("\"exported_at\":\"2026-01-02T03:04:05Z\"")
        .contains("\"learning_rate\":0.01");
    assertThat(FittedPipeline.fromModelMetadata(meta).orElseThrow().featureShape())
        .containsExactly(1, 28, 28);

    ModelProto b = trainAndExport(ALL_LAYERS_B, dir.resolve("b"));
    assertThat(b.getGraph().getNodeList().stream().map(NodeProto::getOpType))
        .contains("GlobalAveragePool");
    assertThat(OnnxModels.outputs(b).getFirst().name()).isEqualTo("logits");
  }

  /** Residual blocks: an identity shortcut, a projected one (stride 2, more channels). */
  private static final String RESIDUAL =
      """
      - {type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false}
      - {type: batch_norm}
      - {type: relu}
      - {type: residual, filters: 8}
      - {type: residual, filters: 16, stride: 2}
      - {type: global_avg_pool}
      - {type: linear, units: 10}
      - {type: softmax}
      """;

  @Test
  void residualBlocksExportAndOnnxRuntimeMatchesDjl(@TempDir Path dir) throws Exception {
    ModelProto m = trainAndExport(RESIDUAL, dir);
    Map<String, Long> ops =
        m.getGraph().getNodeList().stream()
            .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
    // stem 1 + 2 per block + 1 projection; 2 sums
    assertThat(ops).containsEntry("Conv", 6L).containsEntry("Add", 2L);
    assertThat(ops).containsEntry("BatchNormalization", 6L);
    // the parameters counted from the spec are the ones DJL trained
    TrainingSpec spec = spec(RESIDUAL);
    long counted =
        dev.strata.train.model.Networks.parameterCount(
            spec.model().layers(), new long[] {1, 28, 28});
    long inOnnx =
        m.getGraph().getInitializerList().stream()
            .filter(t -> !t.getName().endsWith("_mean") && !t.getName().endsWith("_var"))
            .mapToLong(
                t -> t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b))
            .sum();
    assertThat(counted).isEqualTo(inOnnx);
    assertThat(counted)
        .isEqualTo(
            72
                + 16 // stem conv + bn
                + 8 * 8 * 9 * 2
                + 4 * 8 // identity block
                + 8 * 16 * 9
                + 16 * 16 * 9
                + 4 * 16
                + 8 * 16
                + 2 * 16 // projected block
                + 16 * 10
                + 10);
  }

  @Test
  void aWrongExportFailsWithTheDifference(@TempDir Path dir) throws Exception {
    TrainingSpec spec = spec(ALL_LAYERS_B);
    PreparedData data = PreparedData.prepare(spec, DataSources.load(TestSupport.SUBSET, spec));
    ModelTrainer trainer = new ModelTrainer(TestSupport.CONFIG, CLOCK, new TrainingListener() {});
    try (TrainedModel m = trainer.train(spec, data, dir, Optional.of(1))) {
      ModelProto good =
          ModelExport.export(m, data.test().orElseThrow(), 16, Optional.empty(), CLOCK);
      // corrupt the first weight: the verification must notice
      ModelProto.Builder bad = good.toBuilder();
      TensorProto w = bad.getGraph().getInitializer(0);
      byte[] raw = w.getRawData().toByteArray();
      raw[0] ^= 0x40;
      raw[1] ^= 0x7f;
      raw[3] ^= 0x10;
      bad.getGraphBuilder().setInitializer(0, w.toBuilder().setRawData(ByteString.copyFrom(raw)));
      assertThatThrownBy(() -> ModelExport.verify(bad.build(), m, data.test().orElseThrow(), 16))
          .hasMessageContaining("ONNX Runtime and DJL disagree: max |diff|")
          .hasMessageContaining("expected: <= 1e-04");
    }
  }

  private static TrainingSpec spec(String layers) {
    return TestSupport.spec(
        TestSupport.imageSpec(
            layers,
            """
            epochs: 1
            batch_size: 50
            seed: 2
            optimizer: {type: sgd, learning_rate: 0.01, momentum: 0.9}
            """));
  }

  private static ModelProto trainAndExport(String layers, Path dir) throws Exception {
    TrainingSpec spec = spec(layers);
    PreparedData data = PreparedData.prepare(spec, DataSources.load(TestSupport.SUBSET, spec));
    ModelTrainer trainer = new ModelTrainer(TestSupport.CONFIG, CLOCK, new TrainingListener() {});
    try (TrainedModel m = trainer.train(spec, data, dir, Optional.empty())) {
      // export() verifies against ONNX Runtime on 64 test images and throws on a mismatch
      ModelProto proto =
          ModelExport.export(m, data.test().orElseThrow(), 64, Optional.of("{\"ok\":1}"), CLOCK);
      assertThat(ModelExport.verify(proto, m, data.test().orElseThrow(), 256)).isLessThan(1e-4);
      return proto;
    }
  }
}
