package dev.strata.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link DataSources#remoteScheme} and {@link DataSources#localPath}: a path or another FS. */
class DataLocationTest {
  @Test
  void pathsAndFileUrisAreLocalAndOtherSchemesRemote() {
    assertThat(DataSources.remoteScheme("data/fashion")).isEmpty();
    assertThat(DataSources.remoteScheme("/srv/data")).isEmpty();
    assertThat(DataSources.remoteScheme("fashion-mnist")).isEmpty();
    assertThat(DataSources.remoteScheme("file:///srv/data")).isEmpty();
    assertThat(DataSources.remoteScheme("C:/data")).isEmpty();
    assertThat(DataSources.remoteScheme("hdfs://nn:8020/data")).contains("hdfs");
    assertThat(DataSources.remoteScheme("s3a://bucket/data")).contains("s3a");
    assertThat(DataSources.localPath("file:///srv/data")).isEqualTo(Path.of("/srv/data"));
    assertThat(DataSources.localPath("data/x")).isEqualTo(Path.of("data/x"));
    assertThatThrownBy(() -> DataSources.localPath("hdfs://nn/data"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hdfs");
  }
}
