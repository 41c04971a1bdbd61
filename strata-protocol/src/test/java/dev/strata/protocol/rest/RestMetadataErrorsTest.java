package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/** A metadata body of the wrong shape is the client's mistake, and the message names the field. */
class RestMetadataErrorsTest {
  private final RestCodec codec = new RestCodec();

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static AbstractThrowableAssert<?, ?> fails(Function<byte[], ?> decode, String json) {
    return assertThatThrownBy(() -> decode.apply(bytes(json)))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  private static void rejects(Function<byte[], ?> decode, String json, String message) {
    fails(decode, json).hasMessage(message);
  }

  @Test
  void aValueOfTheWrongTypeNamesItsPath() {
    rejects(
        codec::decodeStatistics,
        "{\"model_stats\":[{\"name\":\"m\",\"version\":\"1\",\"inference_count\":\"5\"}]}",
        "model_stats[0].inference_count: 5 (expected: an integer)");
    rejects(
        codec::decodeStatistics,
        "{\"model_stats\":[{\"name\":\"m\",\"version\":\"1\",\"execution_count\":1.5}]}",
        "model_stats[0].execution_count: 1.5 (expected: an integer)");
    rejects(
        codec::decodeStatistics,
        "{\"model_stats\":[{\"name\":\"m\",\"version\":\"1\","
            + "\"inference_stats\":{\"success\":{\"count\":true}}}]}",
        "model_stats[0].inference_stats.success.count: true (expected: an integer)");
    rejects(
        codec::decodeStatistics,
        "{\"model_stats\":{}}",
        "model_stats: an object (expected: an array)");
    rejects(
        codec::decodeModelMetadata,
        "{\"name\":5,\"platform\":\"p\"}",
        "name: 5 (expected: a string)");
    rejects(
        codec::decodeModelMetadata,
        "{\"name\":\"m\",\"platform\":\"p\",\"versions\":[1]}",
        "versions[0]: 1 (expected: a string)");
    rejects(
        codec::decodeModelMetadata,
        "{\"name\":\"m\",\"platform\":\"p\","
            + "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,\"a\"]}]}",
        "inputs[0].shape[1]: a (expected: an integer)");
    rejects(
        codec::decodeModelMetadata,
        "{\"name\":\"m\",\"platform\":\"p\",\"parameters\":[1]}",
        "parameters: an array (expected: an object)");
    rejects(codec::decodeServerMetadata, "[]", "server metadata: an array (expected: an object)");
    rejects(
        codec::decodeRepositoryIndex,
        "[{\"name\":\"a\",\"version\":3}]",
        "repository index[0].version: 3 (expected: a string)");
  }

  @Test
  void aMissingOrInvalidFieldNamesItsPath() {
    rejects(
        codec::decodeStatistics,
        "{\"model_stats\":[{\"name\":\"m\"}]}",
        "model_stats[0].version: missing (expected: a string)");
    rejects(
        codec::decodeStatistics,
        "{\"model_stats\":[{\"name\":\"m\",\"version\":\"1\",\"batch_stats\":[null]}]}",
        "model_stats[0].batch_stats[0]: null (expected: a value)");
    rejects(
        codec::decodeModelMetadata, "{\"platform\":\"p\"}", "name: missing (expected: a string)");
    rejects(
        codec::decodeModelMetadata,
        "{\"name\":\"m\",\"platform\":\"p\",\"inputs\":[{\"name\":\"x\",\"shape\":[1]}]}",
        "inputs[0].datatype: missing (expected: a string)");
    fails(
            codec::decodeModelMetadata,
            "{\"name\":\"m\",\"platform\":\"p\","
                + "\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP99\",\"shape\":[1]}]}")
        .hasMessageStartingWith("outputs[0].datatype: 'FP99' (expected one of BOOL");
    rejects(
        codec::decodeModelMetadata,
        "{\"name\":\"m\",\"platform\":\"p\","
            + "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-2]}]}",
        "inputs[0].shape: dimension 0 is -2 (expected: >= 0, or -1 for dynamic)");
    rejects(codec::decodeModelMetadata, "", "model metadata: missing (expected: an object)");
    rejects(
        codec::decodeServerMetadata,
        "{\"name\":\"a\",\"version\":\"1\",\"extensions\":[\"x\",null]}",
        "extensions[1]: null (expected: a value)");
  }

  @Test
  void repositoryBodiesAreStrictToo() {
    Function<byte[], ?> load = b -> codec.decodeRepositoryRequest(b, 0, b.length);
    rejects(
        load,
        "{\"parameters\":{\"config\":{}}}",
        "parameters.config: an object (expected: a string, number or boolean)");
    rejects(load, "[]", "repository request: an array (expected: an object)");
    Function<byte[], ?> index = b -> codec.decodeRepositoryIndexRequest(b, 0, b.length);
    rejects(index, "{\"ready\":1}", "ready: 1 (expected: a boolean)");
    rejects(index, "{\"ready\":\"true\"}", "ready: true (expected: a boolean)");
    assertThat(codec.decodeRepositoryIndexRequest(bytes("{\"ready\":null}"), 0, 14)).isFalse();
  }

  @Test
  void malformedJsonSaysWhere() {
    fails(codec::decodeModelMetadata, "{\"name\":\"m\",\"platform\":\"p\"} {}")
        .hasMessageStartingWith("malformed JSON at line 1, column 29");
    fails(codec::decodeModelMetadata, "{\"name\":\"m\"")
        .hasMessageStartingWith("malformed JSON at line 1, column 12");
  }

  @Test
  void unknownFieldsAreIgnoredAndNullParametersLeftOut() {
    byte[] json =
        bytes(
            "{\"name\":\"m\",\"platform\":\"p\",\"extra\":[1,{}],"
                + "\"parameters\":{\"a\":1,\"b\":null,\"c\":1.5,"
                + "\"d\":123456789012345678901234567890,\"e\":{\"x\":[1,true]}}}");
    assertThat(codec.decodeModelMetadata(json).parameters())
        .isEqualTo(
            Map.of(
                "a",
                1L,
                "c",
                1.5,
                "d",
                new BigInteger("123456789012345678901234567890"),
                "e",
                Map.of("x", List.of(1L, true))));
  }

  @Test
  void anErrorBodyThatIsNotTheProtocolsIsKeptAsText() {
    StrataException e = codec.decodeError(500, bytes("{\"error\":5}"));
    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(e).hasMessage("HTTP 500: {\"error\":5}");
    assertThat(codec.decodeError(404, bytes("{\"error\":\"x\",\"code\":\"BOGUS\"}")))
        .hasMessage("x")
        .satisfies(s -> assertThat(s.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }
}
