package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NpyReaderTest {
  /** The bytes numpy.save writes for a C-order array (format 1.0, header padded to 64 bytes). */
  static byte[] npy(String descr, String shape, byte[] data) {
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer b =
        ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    b.put(data);
    return b.array();
  }

  @Test
  void readsFloat32Matrix() {
    ByteBuffer d = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      d.putFloat(i * 0.5f);
    }
    Tensor t = NpyReader.read("x", "a.npy", npy("<f4", "(2, 3)", d.array()));
    assertThat(t.datatype()).isEqualTo(DataType.FP32);
    assertThat(t.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(t.floats()).containsExactly(0f, 0.5f, 1f, 1.5f, 2f, 2.5f);
  }

  @Test
  void readsScalarsAndOneDimensionalArrays() {
    assertThat(NpyReader.read("x", "a.npy", npy("|u1", "(3,)", new byte[] {1, 2, 3})).shape())
        .isEqualTo(Shape.of(3));
    assertThat(NpyReader.read("x", "a.npy", npy("<i8", "()", new byte[8])).shape())
        .isEqualTo(Shape.of());
  }

  @Test
  void rejectsWhatItCannotReadWithTheReason() {
    assertThatThrownBy(() -> NpyReader.read("x", "a.npy", new byte[20]))
        .hasMessageContaining("bad magic");
    assertThatThrownBy(() -> NpyReader.read("x", "a.npy", npy(">f4", "(1,)", new byte[4])))
        .hasMessageContaining("dtype '>f4'");
    assertThatThrownBy(() -> NpyReader.read("x", "a.npy", npy("<f4", "(2,)", new byte[4])))
        .hasMessageContaining("4 bytes of data for shape [2]");
    byte[] fortran = npy("<f4", "(1,)", new byte[4]);
    String s = new String(fortran, StandardCharsets.ISO_8859_1).replace("False", "True ");
    assertThatThrownBy(() -> NpyReader.read("x", "a.npy", s.getBytes(StandardCharsets.ISO_8859_1)))
        .hasMessageContaining("Fortran");
  }
}
