package dev.strata.train.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.train.TestSupport;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

class DjlEnginesTest {
  @Test
  void aMissingNativeLibraryIsOneClearErrorNotADownload() {
    ClassLoader empty = new URLClassLoader(new URL[0], null);
    assertThatThrownBy(() -> DjlEngines.requireBundledNatives(empty))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("pytorch-native-cpu:2.7.1:linux-x86_64")
        .hasMessageContaining("never downloads")
        .extracting(e -> ((StrataException) e).code())
        .isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void startsOfflineFromTheBundledLibraryInStratasCache() {
    var engine = DjlEngines.pytorch(TestSupport.CONFIG);
    assertThat(engine.getEngineName()).isEqualTo("PyTorch");
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    assertThat(TestSupport.CONFIG.djlCacheDir().resolve("pytorch")).isDirectory();
    assertThatThrownBy(() -> DjlEngines.pytorch(TestSupport.CONFIG.withThreads(1, 1)))
        .hasMessageContaining("already running");
  }
}
