package dev.strata.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.preprocess.ImageCodec;
import dev.strata.preprocess.InputSpec;
import dev.strata.preprocess.RawImage;
import dev.strata.train.spec.TrainingSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TabularAndFolderDataTest {
  private static final InputSpec.Tabular INPUT =
      new InputSpec.Tabular(
          List.of(
              new InputSpec.Column("x", InputSpec.ColumnKind.NUMERIC),
              new InputSpec.Column("c", InputSpec.ColumnKind.CATEGORICAL)),
          "y");

  @Test
  void readsCsvWithQuotesAndSelectsColumns(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("d.csv");
    Files.writeString(csv, "c,ignored,x,y\n\"a, b\",1,2.5,yes\nz,2,,no\n");
    Dataset.Rows rows = DataSources.readCsv(csv, INPUT, TrainingSpec.Task.CLASSIFICATION);
    assertThat(rows.rows()).containsExactly(List.of("2.5", "a, b"), List.of("", "z"));
    assertThat(rows.classes()).containsExactly("no", "yes");
    assertThat(rows.labels()).containsExactly(1, 0);

    Path reg = dir.resolve("r.csv");
    Files.writeString(reg, "x,c,y\n1,a,0.5\n2,b,1.5\n");
    assertThat(DataSources.readCsv(reg, INPUT, TrainingSpec.Task.REGRESSION).targets())
        .containsExactly(0.5f, 1.5f);
  }

  @Test
  void raggedOrBadRowsNameFileAndLine(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("ragged.csv");
    Files.writeString(csv, "x,c,y\n1,a,yes\n2,b\n");
    assertThatThrownBy(() -> DataSources.readCsv(csv, INPUT, TrainingSpec.Task.CLASSIFICATION))
        .hasMessageContaining(csv + ": line 3 has 2 values (expected: 3, like the header)");
    Path noLabel = dir.resolve("nolabel.csv");
    Files.writeString(noLabel, "x,c\n1,a\n");
    assertThatThrownBy(() -> DataSources.readCsv(noLabel, INPUT, TrainingSpec.Task.CLASSIFICATION))
        .hasMessageContaining("no column 'y'");
    Path badTarget = dir.resolve("bad.csv");
    Files.writeString(badTarget, "x,c,y\n1,a,2\n1,a,oops\n");
    assertThatThrownBy(() -> DataSources.readCsv(badTarget, INPUT, TrainingSpec.Task.REGRESSION))
        .hasMessageContaining(badTarget + ": line 3: label 'oops' is not a number");
  }

  @Test
  void readsImageFoldersAndNamesAnUnreadableImage(@TempDir Path dir) throws Exception {
    RawImage img = new RawImage(2, 2, 1, new byte[] {0, 10, 20, 30});
    Files.createDirectories(dir.resolve("cat"));
    Files.createDirectories(dir.resolve("dog"));
    Files.write(dir.resolve("cat/1.png"), ImageCodec.encodePng(img));
    Files.write(dir.resolve("dog/1.png"), ImageCodec.encodePng(img));
    Files.writeString(dir.resolve("dog/notes.txt"), "ignored");
    Dataset.Images d = DataSources.readImageFolders(dir);
    assertThat(d.classes()).containsExactly("cat", "dog");
    assertThat(d.labels()).containsExactly(0, 1);
    assertThat(d.images().getFirst().pixels()).containsExactly(0, 10, 20, 30);

    Files.write(dir.resolve("dog/2.jpg"), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> DataSources.readImageFolders(dir))
        .hasMessageContaining(dir.resolve("dog/2.jpg") + ": not a PNG or JPEG image");
  }
}
