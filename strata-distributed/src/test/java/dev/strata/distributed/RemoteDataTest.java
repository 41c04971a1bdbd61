package dev.strata.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.StrataException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteDataTest {
  @TempDir Path tmp;

  @Test
  void onlySparkHadoopPropertiesReachHadoop() {
    Configuration c =
        RemoteData.hadoopConfiguration(
            new SparkConf(false)
                .set("spark.hadoop.fs.s3a.endpoint", "http://minio:9000")
                .set("spark.ui.enabled", "x"));
    assertThat(c.get("fs.s3a.endpoint")).isEqualTo("http://minio:9000");
    assertThat(c.get("ui.enabled")).isNull();
  }

  /** viewfs:// is Hadoop's own mount-table file system: a non-local scheme with no server. */
  @Test
  void copiesADirectoryThroughAHadoopFileSystem() throws Exception {
    Path source = Files.createDirectories(tmp.resolve("source/fashion"));
    Files.write(source.resolve("train-images-idx3-ubyte"), new byte[] {1, 2, 3});
    Files.createDirectories(source.resolve("nested"));
    Files.writeString(source.resolve("nested/labels.csv"), "a,b\n");
    Configuration conf =
        RemoteData.hadoopConfiguration(
            new SparkConf(false)
                .set("spark.hadoop.fs.viewfs.mounttable.t.link./data", source.toUri().toString()));
    Path copy = RemoteData.fetch("viewfs://t/data", conf, tmp.resolve("copy"));
    assertThat(copy).isEqualTo(tmp.resolve("copy/data"));
    assertThat(Files.readAllBytes(copy.resolve("train-images-idx3-ubyte")))
        .containsExactly(1, 2, 3);
    assertThat(copy.resolve("nested/labels.csv")).hasContent("a,b");
    try (var files = Files.walk(tmp.resolve("copy"))) {
      assertThat(files.map(Path::toString)).noneMatch(f -> f.endsWith(".crc"));
    }
    assertThat(tmp.resolve("copy.partial")).doesNotExist();
  }

  @Test
  void aMissingPathOrAnUnknownSchemeIsNamed() {
    Configuration conf =
        RemoteData.hadoopConfiguration(
            new SparkConf(false)
                .set("spark.hadoop.fs.viewfs.mounttable.t.link./data", tmp.toUri().toString()));
    assertThatThrownBy(() -> RemoteData.fetch("viewfs://t/data/none", conf, tmp.resolve("a")))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("viewfs://t/data/none")
        .hasMessageContaining("no such file");
    assertThatThrownBy(
            () -> RemoteData.fetch("nosuchfs://host/data", new Configuration(), tmp.resolve("b")))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("nosuchfs");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b.partial")).doesNotExist();
  }
}
