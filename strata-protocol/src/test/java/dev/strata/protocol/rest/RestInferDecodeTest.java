package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Request bodies as other clients write them: nesting, field order, the Triton parameters. */
class RestInferDecodeTest {
  private final RestCodec codec = new RestCodec();

  static RestCodec.DecodedInfer decode(RestCodec codec, String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    return codec.decodeInfer("m", Optional.empty(), b, 0, b.length, OptionalInt.empty());
  }

  private Tensor input(String json) {
    return decode(codec, json).request().inputs().get(0);
  }

  @Test
  void readsTheSpecExample() {
    RestCodec.DecodedInfer d =
        decode(
            codec,
            """
            {
              "id" : "42",
              "inputs" : [
                { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32",
                  "data" : [ 1, 2, 3, 4 ] },
                { "name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL",
                  "data" : [ true, false, true ] }
              ],
              "outputs" : [ { "name" : "output0" } ]
            }
            """);
    InferenceRequest r = d.request();
    assertThat(r.id()).isEqualTo("42");
    assertThat(r.inputs().get(0).asDoubles()).containsExactly(1, 2, 3, 4);
    assertThat(r.inputs().get(1).asDoubles()).containsExactly(1, 0, 1);
    assertThat(r.outputs()).extracting(o -> o.name()).containsExactly("output0");
    assertThat(d.format().binary("output0")).isFalse();
  }

  @Test
  void acceptsNestedDataMatchingTheShape() {
    String head = "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2,2],\"datatype\":\"INT32\",\"data\":";
    int[] expected = {1, 2, 3, 4, 5, 6, 7, 8};
    assertThat(input(head + "[[[1,2],[3,4]],[[5,6],[7,8]]]}]}").ints()).containsExactly(expected);
    assertThat(input(head + "[[1,2,3,4],[5,6,7,8]]}]}").ints()).containsExactly(expected);
    assertThat(input(head + "[1,2,3,4,5,6,7,8]}]}").ints()).containsExactly(expected);
  }

  @Test
  void acceptsDataBeforeDatatypeAndShape() {
    Tensor t =
        input(
            "{\"inputs\":[{\"data\":[[1.5,2],[3,4]],\"name\":\"x\",\"datatype\":\"FP32\","
                + "\"shape\":[2,2]}]}");
    assertThat(t.floats()).containsExactly(1.5f, 2f, 3f, 4f);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 2));
  }

  @Test
  void acceptsEmptyTensorsAndScalars() {
    assertThat(
            input(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[0,3],\"datatype\":\"FP32\",\"data\":[]}]}")
                .byteSize())
        .isZero();
    assertThat(
            input(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[],\"datatype\":\"INT64\",\"data\":[9]}]}")
                .longs())
        .containsExactly(9L);
  }

  @Test
  void readsNumbersIntoTheDeclaredType() {
    assertThat(
            input(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[4],\"datatype\":\"FP32\","
                        + "\"data\":[1,-2.5e3,NaN,-Infinity]}]}")
                .floats())
        .containsExactly(1f, -2500f, Float.NaN, Float.NEGATIVE_INFINITY);
    assertThat(
            input(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"UINT64\","
                        + "\"data\":[18446744073709551615, 3]}]}")
                .data()
                .getLong(0))
        .isEqualTo(-1L);
    Tensor half =
        input(
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP16\",\"data\":[0.1,2]}]}");
    assertThat(half.asDoubles())
        .containsExactly(Float.float16ToFloat(Float.floatToFloat16(0.1f)), 2.0);
    Tensor bf16 =
        input(
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BF16\",\"data\":[1.00390625]}]}");
    // 1 + 2^-8 is halfway between two BF16 values: ties round to even, i.e. to 1.0
    assertThat(bf16.asDoubles()).containsExactly(1.0);
  }

  @Test
  void readsTritonConfigNamesForDatatypes() {
    assertThat(
            input(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"TYPE_STRING\",\"data\":[\"a\"]}]}")
                .strings())
        .containsExactly("a");
  }

  @Test
  void takesOutputParametersAndRequestLevelBinaryOutput() {
    RestCodec.DecodedInfer d =
        decode(
            codec,
            """
            {"inputs": [],
             "parameters": {"binary_data_output": true, "timeout": 1500, "custom": "x"},
             "outputs": [
               {"name": "probs", "parameters": {"classification": 5}},
               {"name": "raw", "parameters": {"binary_data": false}}]}
            """);
    assertThat(d.format().binaryByDefault()).isTrue();
    assertThat(d.format().binary("probs")).isTrue();
    assertThat(d.format().binary("raw")).isFalse();
    assertThat(d.request().outputs().get(0).classification()).isEqualTo(5);
    assertThat(d.request().outputs().get(1).classification()).isZero();
    assertThat(d.request().timeout()).contains(Duration.ofNanos(1_500_000));
    assertThat(d.request().parameters()).containsOnlyKeys("custom");
  }

  @Test
  void ignoresUnknownFieldsAndNulls() {
    RestCodec.DecodedInfer d =
        decode(
            codec,
            "{\"model_name\":\"other\",\"id\":null,\"extra\":{\"a\":[1,{}]},\"outputs\":null,"
                + "\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[1],"
                + "\"parameters\":{\"content_type\":\"np\"},\"more\":[]}]}");
    assertThat(d.request().id()).isEmpty();
    assertThat(d.request().model()).isEqualTo("m");
    assertThat(d.request().outputs()).isEmpty();
  }

  @Test
  void readsTheBinaryExtensionExample() {
    String json =
        """
        {
          "model_name" : "mymodel",
          "inputs" : [
            { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32",
              "parameters" : { "binary_data_size" : 16 } },
            { "name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL",
              "parameters" : { "binary_data_size" : 3 } }
          ],
          "outputs" : [ { "name" : "output0", "parameters" : { "binary_data" : true } } ]
        }
        """;
    byte[] head = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + 19];
    System.arraycopy(head, 0, body, 0, head.length);
    for (int i = 0; i < 4; i++) {
      body[head.length + i * 4] = (byte) (i + 1);
    }
    body[head.length + 16] = 1;
    body[head.length + 18] = 1;
    RestCodec.DecodedInfer d =
        codec.decodeInfer(
            "mymodel", Optional.empty(), body, 0, body.length, OptionalInt.of(head.length));
    assertThat(d.request().inputs().get(0).asDoubles()).containsExactly(1, 2, 3, 4);
    assertThat(d.request().inputs().get(1).asDoubles()).containsExactly(1, 0, 1);
    assertThat(d.format().binary("output0")).isTrue();
  }

  @Test
  void readsBytesInputsAsBinary() {
    Tensor s = Tensor.ofStrings("s", Shape.of(2), java.util.List.of("ab", "c"));
    String json =
        "{\"inputs\":[{\"name\":\"s\",\"shape\":[2],\"datatype\":\"BYTES\","
            + "\"parameters\":{\"binary_data_size\":"
            + s.byteSize()
            + "}}]}";
    byte[] head = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + s.byteSize()];
    System.arraycopy(head, 0, body, 0, head.length);
    s.data().get(body, head.length, s.byteSize());
    Tensor back =
        codec
            .decodeInfer("m", Optional.empty(), body, 0, body.length, OptionalInt.of(head.length))
            .request()
            .inputs()
            .get(0);
    assertThat(back.strings()).containsExactly("ab", "c");
  }
}
