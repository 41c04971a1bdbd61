package dev.strata.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {
  @Test
  void floatsRoundTripThroughLittleEndianBytes() {
    Tensor t = Tensor.ofFloats("x", Shape.of(2, 2), 1f, 2f, 3f, -4.5f);
    assertThat(t.byteSize()).isEqualTo(16);
    assertThat(t.data().get(0)).isEqualTo((byte) 0); // 1.0f = 0x3f800000, little-endian
    assertThat(t.data().get(3)).isEqualTo((byte) 0x3f);
    assertThat(t.floats()).containsExactly(1f, 2f, 3f, -4.5f);
  }

  @Test
  void rejectsDataThatDisagreesWithShape() {
    assertThatThrownBy(() -> new Tensor("x", DataType.FP32, Shape.of(3), ByteBuffer.allocate(8)))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("tensor 'x'")
        .hasMessageContaining("expected: 12 bytes");
  }

  @Test
  void bytesElementsAreLengthPrefixed() {
    Tensor t = Tensor.ofStrings("s", Shape.of(2), List.of("ab", ""));
    assertThat(t.byteSize()).isEqualTo(4 + 2 + 4);
    assertThat(t.strings()).containsExactly("ab", "");
  }

  @Test
  void rejectsTruncatedBytesElement() {
    ByteBuffer b = ByteBuffer.allocate(6).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(5).put((byte) 1).put((byte) 2).flip();
    assertThatThrownBy(() -> new Tensor("s", DataType.BYTES, Shape.of(1), b))
        .hasMessageContaining("declares 5 bytes but only 2 remain");
  }

  @Test
  void widensEveryNumericTypeToDouble() {
    ByteBuffer half = ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    half.putShort(Float.floatToFloat16(1.5f)).flip();
    assertThat(new Tensor("h", DataType.FP16, Shape.of(1), half).asDoubles()).containsExactly(1.5);
    ByteBuffer u8 = ByteBuffer.wrap(new byte[] {(byte) 200});
    assertThat(new Tensor("u", DataType.UINT8, Shape.of(1), u8).asDoubles()).containsExactly(200.0);
  }

  @Test
  void shapeAcceptsConcreteShapesOnDynamicAxes() {
    assertThat(Shape.of(-1, 3).accepts(Shape.of(7, 3))).isTrue();
    assertThat(Shape.of(-1, 3).accepts(Shape.of(7, 4))).isFalse();
    assertThat(Shape.of(-1, 3).accepts(Shape.of(3))).isFalse();
    assertThat(Shape.of(2, 3, 4).numElements()).isEqualTo(24);
  }

  @Test
  void segmentedDataIsAViewThatCopiesOutInOneStep() {
    ByteBuffer all = Tensor.ofFloats("x", Shape.of(4), 1f, 2f, 3f, 4f).data();
    ByteBuffer direct = ByteBuffer.allocateDirect(10);
    direct.put(all.slice(6, 10)).flip();
    Tensor t = Tensor.ofSegments("x", DataType.FP32, Shape.of(4), List.of(all.slice(0, 6), direct));
    assertThat(t.isContiguous()).isFalse();
    assertThat(t.segments()).hasSize(2);
    assertThat(t.byteSize()).isEqualTo(16);

    ByteBuffer dst = ByteBuffer.allocate(20).position(2);
    t.copyTo(dst);
    assertThat(dst.position()).isEqualTo(18);
    assertThat(dst.slice(2, 16)).isEqualTo(all);

    assertThat(t.floats()).containsExactly(1f, 2f, 3f, 4f);
    assertThat(t).isEqualTo(Tensor.ofFloats("x", Shape.of(4), 1f, 2f, 3f, 4f));
    assertThat(t.copy().isContiguous()).isTrue();
    assertThat(t.copy()).isEqualTo(t);
    assertThat(t.withName("y").segments()).hasSize(2);
  }

  @Test
  void segmentedDataMustAgreeWithTheShape() {
    List<ByteBuffer> parts = List.of(ByteBuffer.allocate(4), ByteBuffer.allocate(4));
    assertThatThrownBy(() -> Tensor.ofSegments("x", DataType.FP32, Shape.of(3), parts))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("8 bytes of FP32 data")
        .hasMessageContaining("expected: 12 bytes");
  }

  @Test
  void segmentedBytesElementsAreJoined() {
    ByteBuffer whole = Tensor.ofStrings("s", Shape.of(2), List.of("ab", "cde")).data();
    Tensor t =
        Tensor.ofSegments(
            "s", DataType.BYTES, Shape.of(2), List.of(whole.slice(0, 5), whole.slice(5, 8)));
    assertThat(t.isContiguous()).isTrue();
    assertThat(t.strings()).containsExactly("ab", "cde");
  }

  @Test
  void copyToRefusesAShortDestination() {
    Tensor t = Tensor.ofInts("i", Shape.of(2), 1, 2);
    assertThatThrownBy(() -> t.copyTo(ByteBuffer.allocate(7)))
        .isInstanceOf(java.nio.BufferOverflowException.class);
  }

  @Test
  void dataTypeParsesWireAndConfigNames() {
    assertThat(DataType.fromWireName("fp32")).isEqualTo(DataType.FP32);
    assertThat(DataType.fromWireName("TYPE_INT64")).isEqualTo(DataType.INT64);
    assertThatThrownBy(() -> DataType.fromWireName("FLOAT128"))
        .hasMessageContaining("'FLOAT128'")
        .hasMessageContaining("expected one of");
  }

  @Test
  void stringsRefuseBytesThatAreNotUtf8() {
    Tensor ok = Tensor.ofStrings("t", Shape.of(2), List.of("héllo", "日本"));
    assertThat(ok.strings()).containsExactly("héllo", "日本");
    Tensor bad =
        Tensor.ofBytes("t", Shape.of(2), List.of("ok".getBytes(), new byte[] {(byte) 0xC3, 'x'}));
    assertThatThrownBy(bad::strings)
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("tensor 't': element 1 is not valid UTF-8");
  }
}
