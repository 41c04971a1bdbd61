package dev.strata.protocol.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.strata.core.DataType;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast path for FP32/FP64 JSON data: every value it reads is the one {@link Float#parseFloat}
 * and {@link Double#parseDouble} give for the literal, and whatever it does not certainly
 * understand is left to the token-by-token reader, unmoved.
 */
class NumberArraysTest {
  private final RestCodec codec = new RestCodec();

  private static String body(String type, String shape, String data) {
    return RestInferErrorsTest.input(type, shape, data);
  }

  private Tensor decode(String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    return codec
        .decodeInfer("m", Optional.empty(), b, 0, b.length, OptionalInt.empty())
        .request()
        .inputs()
        .get(0);
  }

  /** Literals of every form JSON allows, as clients write them. */
  private static List<String> literals(Random rnd, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double v = (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(20) - 10);
      out.add(
          switch (i % 7) {
            case 0 -> Float.toString((float) v).replace("E", "e");
            case 1 -> Double.toString(v).replace("E", "E+").replace("E+-", "E-");
            case 2 -> String.format(Locale.ROOT, "%.3e", v);
            case 3 -> Long.toString(Math.round(v));
            case 4 -> String.format(Locale.ROOT, "%.17f", v);
            case 5 -> i % 2 == 0 ? "-0" : "0.0";
            default -> String.format(Locale.ROOT, "%.9g", v);
          });
    }
    return out;
  }

  @Test
  void fp32AndFp64ValuesEqualJavasParsingOfEachLiteral() {
    Random rnd = new Random(42);
    for (int round = 0; round < 50; round++) {
      List<String> lits = literals(rnd, 1 + rnd.nextInt(300));
      String sep = round % 3 == 0 ? " , " : round % 3 == 1 ? ",\n\t" : ",";
      String data = "[" + String.join(sep, lits) + "]";
      String shape = "[" + lits.size() + "]";
      float[] f = decode(body("FP32", shape, data)).floats();
      ByteBuffer d = decode(body("FP64", shape, data)).data().order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < lits.size(); i++) {
        assertThat(Float.floatToRawIntBits(f[i]))
            .as(lits.get(i))
            .isEqualTo(Float.floatToRawIntBits(Float.parseFloat(lits.get(i))));
        assertThat(Double.doubleToRawLongBits(d.getDouble(i * 8)))
            .as(lits.get(i))
            .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(lits.get(i))));
      }
    }
  }

  @Test
  void nestedDataEqualsFlatData() {
    float[] flat = decode(body("FP32", "[2,2,2]", "[1,2.5,3,4e0,5,6,7,-8]")).floats();
    assertThat(flat).containsExactly(1, 2.5f, 3, 4, 5, 6, 7, -8);
    assertThat(decode(body("FP32", "[2,2,2]", "[ [[1,2.5],[3,4e0]] , [[5,6],[7,-8]] ]")).floats())
        .containsExactly(flat);
    assertThat(decode(body("FP32", "[2,2,2]", "[[1,2.5,3,4e0],[5,6,7,-8]]")).floats())
        .containsExactly(flat);
    assertThat(decode(body("FP32", "[0]", "[]")).floats()).isEmpty();
  }

  @Test
  void theCallersBodyIsLeftAsItWas() {
    String json = body("FP32", "[3]", "[1.5,2.5,3.5]") + "   ";
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    codec.decodeInfer("m", Optional.empty(), b, 0, b.length, OptionalInt.empty());
    assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(json);
    ByteBuffer heap = ByteBuffer.wrap(b);
    codec.decodeInfer("m", Optional.empty(), List.of(heap), OptionalInt.empty());
    assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(json);
  }

  @Test
  void dataBeforeTheShapeIsReadTheSameWay() {
    String json =
        "{\"inputs\":[{\"data\":[1.25,-2,3e2],\"name\":\"x\",\"datatype\":\"FP32\","
            + "\"shape\":[3],\"parameters\":{\"a\":1}}],\"outputs\":[{\"name\":\"y\"}]}";
    assertThat(decode(json).floats()).containsExactly(1.25f, -2f, 300f);
  }

  @Test
  void theFieldsAfterTheDataAreStillRead() {
    String json =
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"shape\":[2],"
            + "\"data\":[0.1, 0.2],\"parameters\":{\"k\":\"v\"}},"
            + "{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[7]}],\"id\":\"after\"}";
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    var r = codec.decodeInfer("m", Optional.empty(), b, 0, b.length, OptionalInt.empty()).request();
    assertThat(r.id()).isEqualTo("after");
    assertThat(r.inputs()).hasSize(2);
    assertThat(r.inputs().get(1).floats()).containsExactly(7f);
  }

  /** The fast path itself: null, the parser where it was, for what it leaves to Jackson. */
  @Test
  void leavesAnythingUnusualToTheTokenReader() throws IOException {
    for (String data :
        List.of(
            "[NaN,1]",
            "[Infinity,1]",
            "[-Infinity,1]",
            "[01,1]",
            "[1.,1]",
            "[.5,1]",
            "[+1,1]",
            "[1e,1]",
            "[1,]",
            "[1 2]",
            "[\"1\",2]",
            "[1,null]",
            "[1,true]",
            "[1e39,1]",
            "[1,2,3]",
            "[1]",
            "[[1],[2]]",
            "[1,2",
            "[1,2]x")) {
      byte[] b = data.getBytes(StandardCharsets.UTF_8);
      byte[] copy = b.clone();
      try (JsonParser p = Json.parser(b, 0, b.length)) {
        assertThat(p.nextToken()).isEqualTo(JsonToken.START_ARRAY);
        ByteBuffer fast = NumberArrays.tryRead(p, b, 0, b.length, DataType.FP32, new long[] {2}, 2);
        if (data.equals("[1,2]x")) {
          // The array itself is fine; what follows is the enclosing reader's business.
          assertThat(fast).isNotNull();
          continue;
        }
        assertThat(fast).as(data).isNull();
        assertThat(b).as(data).isEqualTo(copy);
        assertThat(p.currentToken()).isEqualTo(JsonToken.START_ARRAY);
        assertThat(p.currentTokenLocation().getByteOffset()).isZero();
      }
    }
  }

  @Test
  void movesTheParserToTheArraysEnd() throws IOException {
    byte[] b = "{\"data\":[1.5, 2.5],\"next\":3}".getBytes(StandardCharsets.UTF_8);
    try (JsonParser p = Json.parser(b, 0, b.length)) {
      p.nextToken();
      p.nextToken();
      assertThat(p.nextToken()).isEqualTo(JsonToken.START_ARRAY);
      ByteBuffer fast = NumberArrays.tryRead(p, b, 0, b.length, DataType.FP32, new long[] {2}, 2);
      assertThat(fast.order(ByteOrder.LITTLE_ENDIAN).getFloat(4)).isEqualTo(2.5f);
      assertThat(p.currentToken()).isEqualTo(JsonToken.END_ARRAY);
      assertThat(p.nextToken()).isEqualTo(JsonToken.FIELD_NAME);
      assertThat(p.currentName()).isEqualTo("next");
    }
  }

  @Test
  void errorsAreTheTokenReadersOwn() {
    assertThatThrownBy(() -> decode(body("FP32", "[2]", "[1,01]")))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("eading zeroes");
    assertThatThrownBy(() -> decode(body("FP32", "[2]", "[1,2,3]")))
        .hasMessageContaining("data has 3 elements for shape [2] (expected: 2)");
    assertThatThrownBy(() -> decode(body("FP64", "[2]", "[0,1e400]")))
        .hasMessageContaining("element 1, 1e400, is out of range for FP64");
    assertThat(decode(body("FP32", "[2]", "[NaN,-Infinity]")).floats())
        .containsExactly(Float.NaN, Float.NEGATIVE_INFINITY);
  }
}
