package dev.strata.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a child JVM is started: this JVM's own {@code java}, small heap and quick start-up flags, a
 * private temporary directory, and a class path.
 *
 * <p>The class path is this test's own (failsafe puts strata-cli and everything below it on it), so
 * {@code ./build verify} works from a clean clone without the distribution. With {@code
 * -Dstrata.it.distribution=strata-cli/target/strata} the children run the built distribution's
 * {@code strata.jar} instead (plus this module's test classes, for {@link ChildMain}).
 */
record JvmCommand(List<String> command) {
  static final String DISTRIBUTION = "strata.it.distribution";

  JvmCommand {
    command = List.copyOf(command);
  }

  /**
   * A JVM whose temporary files (ONNX Runtime's unpacked libraries) go to {@code tmpDir}, with
   * {@code options} added (system properties...).
   */
  static JvmCommand child(Path tmpDir, List<String> options) {
    try {
      Files.createDirectories(tmpDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + tmpDir, e);
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    // short-lived, small processes: C1 only, serial GC, small heap; 2-core machines stay usable
    cmd.addAll(
        List.of(
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-Xss512k",
            "--enable-native-access=ALL-UNNAMED",
            "-Djava.io.tmpdir=" + tmpDir.toAbsolutePath()));
    if (Runtime.version().feature() >= 24) {
      cmd.add("--sun-misc-unsafe-memory-access=allow"); // Netty and protobuf, as ./strata does
    }
    cmd.addAll(options);
    cmd.add("-cp");
    cmd.add(classPath());
    return new JvmCommand(cmd);
  }

  /** The {@code java} running this test, so that children use the same JDK. */
  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static String classPath() {
    String dist = System.getProperty(DISTRIBUTION, "");
    if (!dist.isBlank()) {
      Path jar = Path.of(dist).toAbsolutePath().resolve("strata.jar");
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            DISTRIBUTION
                + "="
                + dist
                + ": no strata.jar there (build it: ./build -pl strata-cli"
                + " -am package -DskipTests)");
      }
      return jar + File.pathSeparator + ownClasses();
    }
    // failsafe runs the tests from a manifest-only jar; the real class path is in this property
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  private static String ownClasses() {
    try {
      return Path.of(ChildMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate this module's test classes", e);
    }
  }
}
