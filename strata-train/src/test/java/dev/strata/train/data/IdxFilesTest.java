package dev.strata.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.preprocess.RawImage;
import dev.strata.train.TestSupport;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFilesTest {
  @Test
  void readsTheShippedSubset() throws Exception {
    Dataset.Images train = DataSources.readIdx(TestSupport.SUBSET, "train");
    Dataset.Images test = DataSources.readIdx(TestSupport.SUBSET, "t10k");
    assertThat(train.size()).isEqualTo(2000);
    assertThat(test.size()).isEqualTo(1000);
    assertThat(train.classes()).hasSize(10).startsWith("T-shirt/top");
    int[] perClass = new int[10];
    for (int l : train.labels()) {
      perClass[l]++;
    }
    assertThat(perClass).containsOnly(200);
    assertThat(train.images().getFirst().height()).isEqualTo(28);
  }

  @Test
  void fashionMnistNamesTheDebianPackage() {
    if (java.nio.file.Files.isDirectory(DataSources.DEBIAN_FASHION_MNIST)) {
      assertThat(DataSources.resolveAlias(Path.of("fashion-mnist")))
          .isEqualTo(DataSources.DEBIAN_FASHION_MNIST);
    } else {
      assertThatThrownBy(() -> DataSources.resolveAlias(Path.of("fashion-mnist")))
          .hasMessageContaining("apt-get install dataset-fashion-mnist");
    }
    assertThat(DataSources.resolveAlias(TestSupport.SUBSET)).isEqualTo(TestSupport.SUBSET);
  }

  @Test
  void writesAndReadsPlainAndGzipFiles(@TempDir Path dir) throws Exception {
    List<RawImage> images =
        List.of(
            new RawImage(2, 3, 1, new byte[] {1, 2, 3, 4, 5, 6}),
            new RawImage(2, 3, 1, new byte[] {6, 5, 4, 3, 2, 1}));
    IdxFiles.writeImages(dir.resolve("a.gz"), images);
    IdxFiles.writeLabels(dir.resolve("l.gz"), new int[] {3, 255});
    assertThat(IdxFiles.readImages(dir.resolve("a.gz")).get(1).pixels())
        .containsExactly(6, 5, 4, 3, 2, 1);
    assertThat(IdxFiles.readLabels(dir.resolve("l.gz"))).containsExactly(3, 255);
    // the same data uncompressed reads the same
    try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("a.gz")))) {
      Files.write(dir.resolve("plain"), in.readAllBytes());
    }
    assertThat(IdxFiles.readImages(dir.resolve("plain"))).hasSize(2);
  }

  @Test
  void corruptFilesFailNamingFileAndPosition(@TempDir Path dir) throws Exception {
    Path badMagic = dir.resolve("bad-magic");
    Files.write(badMagic, header(0x00000802, 1, 2, 2));
    assertThatThrownBy(() -> IdxFiles.readImages(badMagic))
        .hasMessageContaining(badMagic.toString())
        .hasMessageContaining("bad magic number 0x00000802 at byte 0 (expected: 0x00000803");

    Path truncated = dir.resolve("truncated");
    byte[] h = header(0x00000803, 3, 2, 2);
    Files.write(truncated, Arrays.copyOf(h, h.length + 9)); // 2 full images + 1 byte
    assertThatThrownBy(() -> IdxFiles.readImages(truncated))
        .hasMessageContaining(truncated.toString())
        .hasMessageContaining("truncated at byte 25 while reading image 2 of 3 (3 more bytes");

    Path extra = dir.resolve("extra");
    Files.write(extra, Arrays.copyOf(header(0x00000801, 2), 8 + 5));
    assertThatThrownBy(() -> IdxFiles.readLabels(extra))
        .hasMessageContaining("3 unexpected bytes after byte 10");

    Path gz = dir.resolve("cut.gz");
    IdxFiles.writeLabels(gz, new int[1000]);
    byte[] all = Files.readAllBytes(gz);
    Files.write(gz, Arrays.copyOf(all, all.length / 2));
    assertThatThrownBy(() -> IdxFiles.readLabels(gz)).hasMessageContaining(gz.toString());
  }

  @Test
  void labelCountMustMatchImageCount(@TempDir Path dir) throws Exception {
    IdxFiles.writeImages(
        dir.resolve("train-images-idx3-ubyte.gz"), List.of(new RawImage(1, 1, 1, new byte[] {1})));
    IdxFiles.writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), new int[] {0, 1});
    assertThatThrownBy(() -> DataSources.readIdx(dir, "train"))
        .hasMessageContaining("train-images-idx3-ubyte.gz has 1 images but")
        .hasMessageContaining("train-labels-idx1-ubyte.gz has 2 labels");
  }

  private static byte[] header(int... ints) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    for (int i : ints) {
      out.writeInt(i);
    }
    return b.toByteArray();
  }
}
