package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every malformed body gets INVALID_ARGUMENT with a message naming the problem. */
class RestInferErrorsTest {
  private final RestCodec codec = new RestCodec();

  private AbstractThrowableAssert<?, ? extends Throwable> rejects(String json) {
    return assertThatThrownBy(() -> RestInferDecodeTest.decode(codec, json))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  private AbstractThrowableAssert<?, ? extends Throwable> rejectsBinary(
      String json, int binaryBytes, OptionalInt header) {
    byte[] head = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + binaryBytes];
    System.arraycopy(head, 0, body, 0, head.length);
    return assertThatThrownBy(
            () -> codec.decodeInfer("m", Optional.empty(), body, 0, body.length, header))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  /** A request body with one input {@code x}. */
  static String input(String datatype, String shape, String data) {
    return "{\"inputs\":[{\"name\":\"x\",\"datatype\":\""
        + datatype
        + "\",\"shape\":"
        + shape
        + ",\"data\":"
        + data
        + "}]}";
  }

  @Test
  void malformedJsonNamesThePosition() {
    rejects("{\"inputs\": [\n  {\"name\": \"x\",, }]}")
        .hasMessageContaining("malformed JSON at line 2, column");
    rejects("{\"inputs\": [").hasMessageContaining("malformed JSON");
    rejects("{\"inputs\": []} {}").hasMessageContaining("content after the end");
    rejects("{\"inputs\": []} trailing")
        .hasMessageContaining("malformed JSON at line 1, column 16");
    rejects("").hasMessageContaining("empty request body");
    rejects("[1,2]").hasMessageContaining("request: an array (expected: an object)");
  }

  @Test
  void missingFieldsAreNamed() {
    rejects("{}").hasMessageContaining("missing 'inputs'");
    rejects("{\"inputs\":[{\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}")
        .hasMessageContaining("inputs[0]: missing 'name'");
    rejects("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":[1]}]}")
        .hasMessageContaining("input 'x': missing 'datatype'");
    rejects("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"data\":[1]}]}")
        .hasMessageContaining("input 'x': missing 'shape'");
    rejects("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1]}]}")
        .hasMessageContaining("input 'x': missing 'data'");
    rejects("{\"inputs\":[],\"outputs\":[{\"parameters\":{}}]}")
        .hasMessageContaining("outputs[0]: missing 'name'");
  }

  @Test
  void unknownDatatypeIsNamed() {
    rejects(input("FP128", "[1]", "[1]"))
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("'FP128'")
        .hasMessageContaining("expected one of");
  }

  @Test
  void badShapesAreNamed() {
    rejects(input("FP32", "[2,-1]", "[1,2]"))
        .hasMessageContaining(
            "input 'x': shape dimension 1 is an integer -1 (expected: an integer >= 0)");
    rejects(input("FP32", "\"2\"", "[1,2]")).hasMessageContaining("input 'x'.shape");
    rejects(input("FP32", "[4294967296,4294967296]", "[1]"))
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("too many elements");
  }

  @Test
  void countMismatchIsNamed() {
    rejects(input("FP32", "[2,3]", "[1,2,3,4,5]"))
        .hasMessageContaining("input 'x': data has 5 elements for shape [2, 3] (expected: 6)");
    rejects(input("FP32", "[2]", "[1,2,3]"))
        .hasMessageContaining("data has 3 elements for shape [2] (expected: 2)");
    rejects(input("INT8", "[1000000000]", "[1,2]"))
        .hasMessageContaining("data has 2 elements for shape [1000000000] (expected: 1000000000)");
  }

  @Test
  void nestingMismatchIsNamed() {
    rejects(input("INT32", "[2,3]", "[[1,2],[3,4,5]]"))
        .hasMessageContaining("data nesting does not match shape [2, 3]")
        .hasMessageContaining("depth 1 has 2 values (expected: 3)");
    rejects(input("INT32", "[2,3]", "[[1,2,3]]"))
        .hasMessageContaining("depth 0 has 1 arrays (expected: 2)");
    rejects(input("INT32", "[2]", "[[1],[2]]"))
        .hasMessageContaining("nested deeper than the shape's rank 1");
    rejects(input("INT32", "[2,1]", "[[1],2]")).hasMessageContaining("mixes arrays and values");
    rejects(input("INT32", "[2]", "7"))
        .hasMessageContaining("input 'x': data is an integer 7 (expected: an array)");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "INT8|128|-128..127",
        "INT8|-129|-128..127",
        "UINT8|256|0..255",
        "UINT8|-1|0..255",
        "INT16|32768|-32768..32767",
        "UINT16|65536|0..65535",
        "INT32|2147483648|-2147483648..2147483647",
        "UINT32|4294967296|0..4294967295",
        "UINT32|-1|0..4294967295",
        "INT64|9223372036854775808|-9223372036854775808..9223372036854775807",
        "UINT64|18446744073709551616|0..18446744073709551615",
        "UINT64|-1|0..18446744073709551615",
        "FP16|70000|-65504..65504",
        "FP32|1e39|the finite FP32 range",
        "FP64|1e400|the finite FP64 range",
        "BF16|1e39|the finite BF16 range",
      })
  void valueOutOfRangeIsNamed(String type, String value, String range) {
    rejects(input(type, "[2]", "[0," + value + "]"))
        .hasMessageContaining("input 'x': element 1, " + value + ", is out of range for " + type)
        .hasMessageContaining("(expected: " + range + ")");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "BOOL|1|an integer 1|a boolean",
        "INT32|1.5|a number 1.5|an integer",
        "INT32|true|a boolean true|an integer",
        "UINT64|\"7\"|a string \"7\"|an integer",
        "FP32|\"1.0\"|a string \"1.0\"|a number",
        "FP32|null|null|a number",
        "FP64|{}|an object|a number",
        "BYTES|5|an integer 5|a string",
      })
  void wrongJsonTypeIsNamed(String type, String value, String found, String wanted) {
    rejects(
            input(
                type,
                "[2]",
                "["
                    + (type.equals("BOOL") ? "true" : type.equals("BYTES") ? "\"a\"" : "0")
                    + ","
                    + value
                    + "]"))
        .hasMessageContaining(
            "input 'x': element 1 is " + found + " (expected: " + wanted + " for " + type + ")");
  }

  @Test
  void badParametersAreNamed() {
    rejects("{\"inputs\":[],\"parameters\":{\"p\":[1]}}")
        .hasMessageContaining("parameters.p: an array (expected: a string, number or boolean)");
    rejects("{\"inputs\":[],\"parameters\":{\"timeout\":-5}}")
        .hasMessageContaining("parameters.timeout: -5 (expected: microseconds");
    rejects("{\"inputs\":[],\"parameters\":{\"binary_data_output\":1}}")
        .hasMessageContaining("parameters.binary_data_output: 1 (expected: a boolean)");
    rejects(
            "{\"inputs\":[],\"outputs\":[{\"name\":\"o\",\"parameters\":{\"classification\":\"3\"}}]}")
        .hasMessageContaining(
            "output 'o': parameters.classification: 3 (expected: an integer >= 0)");
    rejects(
            "{\"inputs\":[],\"outputs\":[{\"name\":\"o\",\"parameters\":{\"binary_data\":\"yes\"}}]}")
        .hasMessageContaining("output 'o': parameters.binary_data: yes (expected: a boolean)");
  }

  // ---- the binary tensor data extension ------------------------------------------------------

  private static final String BINARY_X =
      "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],"
          + "\"parameters\":{\"binary_data_size\":8}}]}";

  @Test
  void headerThatIsNotANumberIsNamed() {
    assertThatThrownBy(() -> RestCodec.parseInferenceHeaderContentLength("12a"))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining(
            "Inference-Header-Content-Length: '12a' (expected: a non-negative integer)");
    assertThatThrownBy(() -> RestCodec.parseInferenceHeaderContentLength("-3"))
        .hasMessageContaining("Inference-Header-Content-Length: '-3'");
    assertThat(RestCodec.parseInferenceHeaderContentLength(" 17 ")).isEqualTo(17);
  }

  @Test
  void headerOutsideTheBodyIsNamed() {
    int len = BINARY_X.length();
    rejectsBinary(BINARY_X, 8, OptionalInt.of(len + 9))
        .hasMessageContaining("Inference-Header-Content-Length: " + (len + 9))
        .hasMessageContaining("the body's length");
    rejectsBinary(BINARY_X, 8, OptionalInt.of(-1))
        .hasMessageContaining("Inference-Header-Content-Length: -1");
  }

  @Test
  void truncatedBinaryDataNamesTheInput() {
    rejectsBinary(BINARY_X, 5, OptionalInt.of(BINARY_X.length()))
        .hasMessageContaining(
            "input 'x': binary data truncated: parameters.binary_data_size is 8 but only 5 bytes remain");
  }

  @Test
  void extraBinaryDataNamesTheLastInput() {
    rejectsBinary(BINARY_X, 11, OptionalInt.of(BINARY_X.length()))
        .hasMessageContaining("3 extra bytes after the binary data of input 'x'");
    rejectsBinary("{\"inputs\":[]}", 4, OptionalInt.of(13))
        .hasMessageContaining(
            "4 bytes of binary data follow the JSON but no tensor has parameters.binary_data_size");
  }

  @Test
  void binarySizeDisagreeingWithShapeIsNamed() {
    String json =
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3],"
            + "\"parameters\":{\"binary_data_size\":8}}]}";
    rejectsBinary(json, 8, OptionalInt.of(json.length()))
        .hasMessageContaining(
            "input 'x': parameters.binary_data_size is 8 for FP32 shape [3] (expected: 12)");
  }

  @Test
  void bytesBinaryDataWithTheWrongElementCountIsNamed() {
    String json =
        "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],"
            + "\"parameters\":{\"binary_data_size\":5}}]}";
    byte[] head = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + 5];
    System.arraycopy(head, 0, body, 0, head.length);
    body[head.length] = 1; // one element of length 1
    assertThatThrownBy(
            () ->
                codec.decodeInfer(
                    "m", Optional.empty(), body, 0, body.length, OptionalInt.of(head.length)))
        .hasMessageContaining("input 's'")
        .hasMessageContaining("1 BYTES elements for shape [2] (expected: 2)");
  }

  @Test
  void binarySizeWithoutHeaderOrWithDataIsNamed() {
    rejectsBinary(BINARY_X, 8, OptionalInt.empty())
        .hasMessageContaining("malformed JSON"); // the binary bytes are read as JSON
    rejects(BINARY_X)
        .hasMessageContaining(
            "input 'x': parameters.binary_data_size is given but the request has no Inference-Header-Content-Length header");
    rejects(
            "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],"
                + "\"parameters\":{\"binary_data_size\":4}}]}")
        .hasMessageContaining("input 'x': has both 'data' and parameters.binary_data_size");
    rejects(
            "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],"
                + "\"parameters\":{\"binary_data_size\":-4}}]}")
        .hasMessageContaining(
            "input 'x': parameters.binary_data_size: -4 (expected: an integer >= 0)");
  }
}
