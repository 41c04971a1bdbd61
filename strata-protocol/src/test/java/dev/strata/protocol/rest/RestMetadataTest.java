package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.ModelMetadata;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import dev.strata.core.testing.SampleStatistics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestMetadataTest {
  private final RestCodec codec = new RestCodec();

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void serverMetadataHasTheSpecShape() {
    ServerMetadata m =
        new ServerMetadata("strata", "0.1.0", List.of("binary_tensor_data", "statistics"));
    byte[] json = codec.serverMetadata(m);
    assertThat(text(json))
        .isEqualTo(
            "{\"name\":\"strata\",\"version\":\"0.1.0\","
                + "\"extensions\":[\"binary_tensor_data\",\"statistics\"]}");
    assertThat(codec.decodeServerMetadata(json)).isEqualTo(m);
  }

  @Test
  void modelMetadataHasTheSpecShape() {
    ModelMetadata m =
        new ModelMetadata(
            "mnist",
            List.of("1", "2"),
            "onnxruntime_onnx",
            List.of(new TensorSpec("input", DataType.FP32, Shape.of(-1, 784))),
            List.of(new TensorSpec("probs", DataType.FP32, Shape.of(-1, 10))),
            Map.of());
    byte[] json = codec.modelMetadata(m);
    assertThat(text(json))
        .isEqualTo(
            "{\"name\":\"mnist\",\"versions\":[\"1\",\"2\"],\"platform\":\"onnxruntime_onnx\","
                + "\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,784]}],"
                + "\"outputs\":[{\"name\":\"probs\",\"datatype\":\"FP32\",\"shape\":[-1,10]}]}");
    assertThat(codec.decodeModelMetadata(json)).isEqualTo(m);
  }

  @Test
  void modelMetadataParametersRoundTrip() {
    ModelMetadata m =
        new ModelMetadata(
            "m",
            List.of("1"),
            "onnxruntime_onnx",
            List.of(),
            List.of(),
            Map.of("max_batch_size", 8L, "labels", List.of("cat", "dog")));
    assertThat(codec.decodeModelMetadata(codec.modelMetadata(m))).isEqualTo(m);
  }

  @Test
  void statisticsHaveTritonsShape() {
    byte[] json = codec.statistics(List.of(SampleStatistics.everyFieldSet()));
    assertThat(text(json))
        .startsWith(
            "{\"model_stats\":[{\"name\":\"mnist\",\"version\":\"1\","
                + "\"last_inference\":1700000000000,\"inference_count\":64,\"execution_count\":2,"
                + "\"inference_stats\":{\"success\":{\"count\":64,\"ns\":6400},"
                + "\"fail\":{\"count\":1,\"ns\":10},\"queue\":{\"count\":64,\"ns\":640},"
                + "\"compute_input\":{\"count\":2,\"ns\":20},"
                + "\"compute_infer\":{\"count\":2,\"ns\":2000},"
                + "\"compute_output\":{\"count\":2,\"ns\":30},"
                + "\"cache_hit\":{\"count\":0,\"ns\":0},\"cache_miss\":{\"count\":0,\"ns\":0}},"
                + "\"batch_stats\":[{\"batch_size\":32,\"compute_input\":{\"count\":2,\"ns\":20},"
                + "\"compute_infer\":{\"count\":2,\"ns\":2000},"
                + "\"compute_output\":{\"count\":2,\"ns\":30}}]");
    assertThat(codec.decodeStatistics(json)).containsExactly(SampleStatistics.everyFieldSet());
  }

  @Test
  void repositoryIndexHasTritonsShape() {
    List<RepositoryEntry> entries =
        List.of(
            new RepositoryEntry("a", "1", "READY", ""),
            new RepositoryEntry("b", "", "UNAVAILABLE", "unloaded"));
    byte[] json = codec.repositoryIndex(entries);
    assertThat(text(json))
        .isEqualTo(
            "[{\"name\":\"a\",\"version\":\"1\",\"state\":\"READY\",\"reason\":\"\"},"
                + "{\"name\":\"b\",\"state\":\"UNAVAILABLE\",\"reason\":\"unloaded\"}]");
    assertThat(codec.decodeRepositoryIndex(json)).isEqualTo(entries);
  }

  @Test
  void repositoryRequestsMayBeEmpty() {
    assertThat(codec.decodeRepositoryRequest(new byte[0], 0, 0)).isEmpty();
    byte[] load =
        "{\"parameters\":{\"config\":\"{}\",\"unload_dependents\":true}}"
            .getBytes(StandardCharsets.UTF_8);
    assertThat(codec.decodeRepositoryRequest(load, 0, load.length))
        .isEqualTo(Map.of("config", "{}", "unload_dependents", true));
    byte[] encoded = codec.repositoryRequest(Map.of("config", "{}"));
    assertThat(codec.decodeRepositoryRequest(encoded, 0, encoded.length))
        .isEqualTo(Map.of("config", "{}"));
    assertThat(text(codec.repositoryRequest(Map.of()))).isEqualTo("{}");

    assertThat(codec.decodeRepositoryIndexRequest(new byte[0], 0, 0)).isFalse();
    byte[] ready = codec.repositoryIndexRequest(true);
    assertThat(text(ready)).isEqualTo("{\"ready\":true}");
    assertThat(codec.decodeRepositoryIndexRequest(ready, 0, ready.length)).isTrue();
    byte[] bad = "{\"ready\":\"yes\"}".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> codec.decodeRepositoryIndexRequest(bad, 0, bad.length))
        .hasMessageContaining("ready: yes (expected: a boolean)");
    byte[] broken = "{\"parameters\":".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> codec.decodeRepositoryRequest(broken, 0, broken.length))
        .hasMessageContaining("malformed JSON");
  }

  @Test
  void errorsCarryTheMessageAndTheCode() {
    assertThat(text(codec.error("model 'x' not found")))
        .isEqualTo("{\"error\":\"model 'x' not found\"}");
    byte[] full = codec.error(new StrataException(ErrorCode.RESOURCE_EXHAUSTED, "queue full"));
    assertThat(text(full)).isEqualTo("{\"error\":\"queue full\",\"code\":\"RESOURCE_EXHAUSTED\"}");

    StrataException back = codec.decodeError(503, full);
    assertThat(back.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    assertThat(back).hasMessage("queue full");

    StrataException plain = codec.decodeError(404, codec.error("no such model"));
    assertThat(plain.code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(plain).hasMessage("no such model");

    StrataException html =
        codec.decodeError(502, "<html>Bad gateway</html>".getBytes(StandardCharsets.UTF_8));
    assertThat(html.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(html).hasMessage("HTTP 502: <html>Bad gateway</html>");
  }
}
