package dev.strata.train.engine;

import ai.djl.engine.Engine;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.net.URL;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts DJL's PyTorch engine offline. DJL reads its settings from system properties once, when the
 * engine first loads, so this is the one place that sets them: offline mode (DJL must never try a
 * download), the cache under Strata's data directory (the native library is extracted there from
 * the {@code pytorch-native-cpu} jar on the classpath), and the thread counts. The engine is a
 * process-wide singleton in DJL; a second call with different settings is refused rather than
 * silently ignored.
 */
public final class DjlEngines {
  private static final Logger log = LoggerFactory.getLogger(DjlEngines.class);
  private static final String ENGINE = "PyTorch";
  private static final Object LOCK = new Object();

  private DjlEngines() {}

  /**
   * Tells DJL never to download and never to report usage (its tracking asks the EC2 metadata
   * endpoint about the host): for every DJL part Strata loads — the engine, the HF tokenizers.
   */
  public static void stayOffline() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }

  /**
   * The PyTorch engine, configured from {@code config} on first use.
   *
   * @throws StrataException UNAVAILABLE when the PyTorch native library or its JNI binding is not
   *     on the classpath (no download is attempted), FAILED_PRECONDITION when the engine was
   *     already started with other settings
   */
  public static Engine pytorch(TrainConfig config) {
    Objects.requireNonNull(config, "config");
    synchronized (LOCK) {
      String wanted = settings(config);
      String current = System.getProperty("strata.djl.settings");
      if (current != null) {
        if (!current.equals(wanted)) {
          throw new StrataException(
              ErrorCode.FAILED_PRECONDITION,
              "the PyTorch engine is already running with "
                  + current
                  + " (asked for: "
                  + wanted
                  + "); thread counts and cache directory are fixed per process");
        }
        return Engine.getEngine(ENGINE);
      }
      requireBundledNatives(DjlEngines.class.getClassLoader());
      stayOffline();
      System.setProperty("DJL_CACHE_DIR", config.djlCacheDir().toString());
      System.setProperty("ENGINE_CACHE_DIR", config.djlCacheDir().toString());
      System.setProperty("PYTORCH_FLAVOR", "cpu");
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(config.intraOpThreads()));
      System.setProperty(
          "ai.djl.pytorch.num_interop_threads", Integer.toString(config.interOpThreads()));
      // the graph executor optimiser only concerns TorchScript models, which Strata does not run
      System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
      Engine engine;
      try {
        engine = Engine.getEngine(ENGINE);
      } catch (RuntimeException | UnsatisfiedLinkError e) {
        throw new StrataException(
            ErrorCode.UNAVAILABLE,
            "cannot start the PyTorch engine from the bundled native library (cache: "
                + config.djlCacheDir()
                + "): "
                + e.getMessage(),
            e);
      }
      System.setProperty("strata.djl.settings", wanted);
      log.info(
          "PyTorch {} ready (offline, {} intra-op / {} inter-op threads, cache {})",
          engine.getVersion(),
          config.intraOpThreads(),
          config.interOpThreads(),
          config.djlCacheDir());
      return engine;
    }
  }

  private static String settings(TrainConfig c) {
    return "threads=" + c.intraOpThreads() + "/" + c.interOpThreads() + " cache=" + c.djlCacheDir();
  }

  /**
   * Fails with one clear message unless PyTorch's native library and JNI binding are on {@code cl}.
   */
  static void requireBundledNatives(ClassLoader cl) {
    URL natives = cl.getResource("native/lib/pytorch.properties");
    URL jni = cl.getResource("jnilib/pytorch.properties");
    if (natives == null || jni == null) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE,
          "the PyTorch native library is not on the classpath ("
              + (natives == null ? "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64" : "")
              + (natives == null && jni == null ? " and " : "")
              + (jni == null ? "ai.djl.pytorch:pytorch-jni:2.7.1-0.35.1" : "")
              + " missing); Strata trains offline and never downloads it");
    }
  }
}
