package dev.strata.runtime;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.runtime.ModelConfig.TensorConfig;
import dev.strata.runtime.backend.OnnxRuntimeBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The Triton-style model repository on disk: {@code <root>/<model>/config.json} or Triton's {@code
 * <root>/<model>/config.pbtxt} (optional, never both) and {@code
 * <root>/<model>/<version>/model.onnx}, a version being a positive integer directory name.
 */
final class ModelRepository {
  static final String CONFIG = "config.json";
  static final String TRITON_CONFIG = "config.pbtxt";
  static final String MODEL_FILE = OnnxRuntimeBackend.INSTANCE.modelFile();

  private final Path root;

  ModelRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(this.root)) {
      throw StrataException.invalid("repository: %s is not a directory", this.root);
    }
  }

  Path root() {
    return root;
  }

  /** The model directories, by name. */
  List<String> models() {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(ModelRepository::validName)
          .sorted()
          .forEach(out::add);
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE, "repository " + root + ": cannot list (" + e + ")", e);
    }
    return out;
  }

  /**
   * The directory of a model.
   *
   * @throws StrataException NOT_FOUND when there is no such model directory
   */
  Path modelDir(String model) {
    if (!validName(model)) {
      throw StrataException.notFound(
          "model '%s' is not in the repository (%s)", model, ModelManager.known(models()));
    }
    Path dir = root.resolve(model);
    if (!Files.isDirectory(dir)) {
      throw StrataException.notFound(
          "model '%s' is not in the repository %s (%s)", model, root, ModelManager.known(models()));
    }
    return dir;
  }

  private static boolean validName(String name) {
    return !name.isEmpty()
        && !name.startsWith(".")
        && name.indexOf('/') < 0
        && name.indexOf('\\') < 0
        && name.indexOf('\0') < 0;
  }

  /**
   * The model's config ({@code config.json} or {@code config.pbtxt}), or the defaults without a
   * config file; the name must match.
   */
  ModelConfig config(String model, Path dir) {
    Path json = dir.resolve(CONFIG);
    Path pbtxt = dir.resolve(TRITON_CONFIG);
    boolean hasJson = Files.exists(json);
    boolean hasPbtxt = Files.exists(pbtxt);
    if (hasJson && hasPbtxt) {
      throw StrataException.invalid(
          "%s and %s: both present (expected: one model configuration; remove one of them)",
          json, pbtxt);
    }
    if (!hasJson && !hasPbtxt) {
      return ModelConfig.DEFAULT;
    }
    Path file = hasJson ? json : pbtxt;
    ModelConfig config = hasJson ? ModelConfig.read(json) : TritonConfigReader.read(pbtxt);
    if (config.name().isPresent() && !config.name().get().equals(model)) {
      throw StrataException.invalid(
          "%s: name '%s' (expected: '%s', the directory's name)", file, config.name().get(), model);
    }
    return config;
  }

  /** The versions that have a model file. */
  SortedSet<Long> versions(Path dir) {
    SortedSet<Long> out = new TreeSet<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(
          p -> {
            long v = parseVersion(p.getFileName().toString());
            if (v > 0 && Files.isRegularFile(p.resolve(MODEL_FILE))) {
              out.add(v);
            }
          });
    } catch (IOException e) {
      throw StrataException.invalid("%s: cannot list (%s)", dir, e);
    }
    return out;
  }

  /** A positive version number, or -1 when the text is not one. */
  static long parseVersion(String text) {
    if (text.isEmpty() || text.length() > 18) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v > 0 ? v : -1;
  }

  Path modelFile(Path dir, long version) {
    return dir.resolve(Long.toString(version)).resolve(MODEL_FILE);
  }

  /** The lines of a labels file in the model directory. */
  List<String> labels(Path dir, String file) {
    Path path = dir.resolve(file).normalize();
    if (!path.startsWith(dir)) {
      throw StrataException.invalid("labels file '%s' is outside the model directory", file);
    }
    try {
      List<String> lines = new ArrayList<>(Files.readAllLines(path, StandardCharsets.UTF_8));
      while (!lines.isEmpty() && lines.getLast().isEmpty()) {
        lines.removeLast();
      }
      return List.copyOf(lines);
    } catch (IOException e) {
      throw StrataException.invalid("labels file '%s' cannot be read (%s)", path, e);
    }
  }

  /**
   * What a loaded version depends on: its config and the size and time of its model and labels
   * files. A reload keeps a version whose fingerprint has not changed.
   */
  Fingerprint fingerprint(Path dir, long version, ModelConfig config) {
    List<FileStamp> files = new ArrayList<>();
    files.add(stamp(modelFile(dir, version)));
    config.labels().ifPresent(l -> files.add(stamp(dir.resolve(l))));
    for (TensorConfig t : config.outputs()) {
      t.labels().ifPresent(l -> files.add(stamp(dir.resolve(l))));
    }
    return new Fingerprint(config, files);
  }

  private static FileStamp stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new FileStamp(file.toString(), a.size(), a.lastModifiedTime(), a.fileKey());
    } catch (IOException e) {
      return new FileStamp(file.toString(), -1, FileTime.fromMillis(0), null);
    }
  }

  record Fingerprint(ModelConfig config, List<FileStamp> files) {}

  record FileStamp(String path, long size, FileTime modified, Object key) {}
}
