package dev.strata.runtime.install;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ManifestVerificationException;
import dev.strata.control.Sha256;
import dev.strata.core.AtomicFiles;
import dev.strata.runtime.ModelConfig;
import dev.strata.runtime.backend.Backend;
import dev.strata.runtime.backend.Backends;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only writer of the runtime's model repository: installs verified artifacts as versions
 * ({@code <model>/<version>/<file>}, the file named by the format's {@link Backend}) and typed
 * configurations ({@link ModelConfig}, written as {@code config.json}, and its labels file).
 *
 * <p>Files appear by atomic rename only: an artifact is hard-linked (or copied, hashing as it goes,
 * and checked against the signed size and digest) into a temporary name beside its target, forced
 * to disk and renamed into place, so the runtime never sees a partial or unverified file. Names
 * starting with a dot are invisible to the runtime, so temporary files and directories being
 * deleted never look like models or versions; {@link #sweep} removes what a crash left of them.
 */
public final class ModelInstaller {
  private static final Logger LOG = LoggerFactory.getLogger(ModelInstaller.class);

  /** The configuration file the installer writes. */
  public static final String CONFIG = "config.json";

  /** The labels file written beside it when a model has labels. */
  public static final String LABELS = "labels.txt";

  private static final String TRITON_CONFIG = "config.pbtxt";
  private static final String TRASH = ".trash-";

  /** Opens an artifact's bytes for reading (they are hashed and checked while copied). */
  @FunctionalInterface
  public interface ArtifactSource {
    InputStream open() throws IOException;
  }

  private final Path root;
  private final Backends backends;
  private final Map<Path, String> verified = new ConcurrentHashMap<>();

  /**
   * An installer over a repository directory (created when missing).
   *
   * @throws UncheckedIOException when it cannot be created
   */
  public ModelInstaller(Path root, Backends backends) {
    this.root = requireNonNull(root, "root").toAbsolutePath().normalize();
    this.backends = requireNonNull(backends, "backends");
    try {
      Files.createDirectories(this.root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the model repository " + root, e);
    }
  }

  public Path root() {
    return root;
  }

  public Backends backends() {
    return backends;
  }

  /** The file a version of a model in this format lives in. */
  public Path modelFile(String model, long version, String format) {
    return versionDir(model, version).resolve(backends.requireFormat(format).modelFile());
  }

  private Path versionDir(String model, long version) {
    return modelDir(model).resolve(Long.toString(version));
  }

  private Path modelDir(String model) {
    Path dir = root.resolve(model).normalize();
    if (!dir.getParent().equals(root) || model.startsWith(".")) {
      throw new IllegalArgumentException("model name '" + model + "' is not a directory name");
    }
    return dir;
  }

  /** Removes temporary files and half-deleted directories a crash left behind. */
  public void sweep() {
    int removed = 0;
    for (Path p : list(root)) {
      String name = p.getFileName().toString();
      if (name.startsWith(".")) {
        deleteTree(p);
        removed++;
      } else if (Files.isDirectory(p)) {
        for (Path q : list(p)) {
          if (q.getFileName().toString().startsWith(".")) {
            deleteTree(q);
            removed++;
          }
        }
      }
    }
    if (removed > 0) {
      LOG.info("model repository: removed {} leftover(s) of an interrupted change", removed);
    }
  }

  /** The model directories. */
  public List<String> models() {
    List<String> out = new ArrayList<>();
    for (Path p : list(root)) {
      String name = p.getFileName().toString();
      if (Files.isDirectory(p) && !name.startsWith(".")) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Makes a version of a model hold exactly a local artifact that was verified against its signed
   * manifest (a hard link to it where the file system allows, else a copy); returns whether it had
   * to change anything.
   */
  public boolean install(String model, long version, String format, Path artifact) {
    Path file = modelFile(model, version, format);
    try {
      if (Files.exists(file) && Files.isSameFile(file, artifact)) {
        return false;
      }
    } catch (IOException e) {
      // compared below by writing it again
    }
    Path tmp = null;
    try {
      Files.createDirectories(file.getParent());
      tmp = file.getParent().getParent().resolve(".v" + version + "-" + System.nanoTime() + ".tmp");
      try {
        Files.createLink(tmp, artifact);
      } catch (UnsupportedOperationException | FileSystemException e) {
        Files.copy(artifact, tmp, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      }
      AtomicFiles.moveIntoPlace(tmp, file);
      verified.remove(file);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot install " + model + " version " + version + " into " + file.getParent(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /**
   * Makes a version of a model hold exactly the artifact {@code sha256} of {@code size} bytes,
   * copied from {@code source} and checked while copied; returns whether it had to write it. A file
   * already there is trusted only once hashed by this process.
   *
   * @throws ManifestVerificationException when the bytes are not the signed ones (nothing is left
   *     behind)
   */
  public boolean install(
      String model, long version, String format, String sha256, long size, ArtifactSource source) {
    Path file = modelFile(model, version, format);
    if (sha256.equals(verified.get(file)) && Files.isRegularFile(file)) {
      return false;
    }
    if (Files.isRegularFile(file) && sha256.equals(digestOf(file))) {
      verified.put(file, sha256);
      return false;
    }
    Path tmp = null;
    try {
      Path dir = file.getParent().getParent();
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, ".v" + version + "-", ".tmp");
      MessageDigest digest = Sha256.newDigest();
      long copied = 0;
      try (InputStream in = source.open();
          FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        byte[] buf = new byte[256 * 1024];
        int n;
        while ((n = in.read(buf)) != -1) {
          digest.update(buf, 0, n);
          ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
          while (bb.hasRemaining()) {
            out.write(bb);
          }
          copied += n;
        }
        out.force(true);
      }
      String actual = Sha256.hex(digest);
      if (copied != size || !actual.equals(sha256)) {
        throw new ManifestVerificationException(
            String.format(
                "artifact of %s version %d: %d bytes with sha256 %s (expected: %d bytes with sha256"
                    + " %s as signed)",
                model, version, copied, actual, size, sha256));
      }
      Files.createDirectories(file.getParent());
      AtomicFiles.moveIntoPlace(tmp, file);
      verified.put(file, sha256);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write " + model + " version " + version + " into " + file.getParent(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /**
   * Writes the model's configuration ({@code config.json}, from the typed config) and its labels
   * file when {@code labels} is given (the config then points at it) where they differ from what is
   * there; returns whether anything changed. A Triton {@code config.pbtxt} left in the model
   * directory is removed, since the runtime refuses both side by side.
   */
  public boolean configure(String model, ModelConfig config, List<String> labels) {
    requireNonNull(config, "config");
    requireNonNull(labels, "labels");
    Path dir = modelDir(model);
    ModelConfig.Builder b = config.toBuilder().name(model);
    boolean changed = false;
    try {
      Files.createDirectories(dir);
      if (!labels.isEmpty()) {
        b.labels(LABELS);
        changed |=
            replaceIfDifferent(
                dir.resolve(LABELS),
                (String.join("\n", labels) + "\n").getBytes(StandardCharsets.UTF_8));
      }
      changed |=
          replaceIfDifferent(
              dir.resolve(CONFIG), b.build().toJson().getBytes(StandardCharsets.UTF_8));
      changed |= Files.deleteIfExists(dir.resolve(TRITON_CONFIG));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the configuration of model " + model, e);
    }
    return changed;
  }

  /** The configuration last written for a model, if any. */
  public Optional<ModelConfig> config(String model) {
    Path file = modelDir(model).resolve(CONFIG);
    return Files.isRegularFile(file) ? Optional.of(ModelConfig.read(file)) : Optional.empty();
  }

  private static boolean replaceIfDifferent(Path file, byte[] content) throws IOException {
    if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), content)) {
      return false;
    }
    AtomicFiles.write(file, content);
    return true;
  }

  /** Deletes the version directories of a model that are not in {@code keep}. */
  public void retainVersions(String model, Set<Long> keep) {
    for (Path p : list(modelDir(model))) {
      String name = p.getFileName().toString();
      if (Files.isDirectory(p)
          && name.matches("[0-9]{1,18}")
          && !keep.contains(Long.parseLong(name))) {
        remove(p);
      }
    }
  }

  /** Deletes a model's directory (renamed out of sight first, so the runtime never sees half). */
  public void remove(String model) {
    remove(modelDir(model));
  }

  /** Deletes the model directories not in {@code keep}. */
  public void retainModels(Set<String> keep) {
    for (String model : models()) {
      if (!keep.contains(model)) {
        remove(model);
      }
    }
  }

  private void remove(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    Path trash = dir.resolveSibling(TRASH + dir.getFileName() + "-" + System.nanoTime());
    try {
      Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir, e);
    }
    verified.keySet().removeIf(p -> p.startsWith(dir));
    deleteTree(trash);
  }

  /** The SHA-256 of a file, hex; empty when it cannot be read. */
  public static String digestOf(Path file) {
    MessageDigest digest = Sha256.newDigest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[256 * 1024];
      int n;
      while ((n = in.read(buf)) != -1) {
        digest.update(buf, 0, n);
      }
    } catch (IOException e) {
      return "";
    }
    return Sha256.hex(digest);
  }

  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("cannot delete temporary file {}: {}", p, e.toString());
    }
  }

  private static void deleteTree(Path p) {
    try {
      if (!Files.isDirectory(p)) {
        Files.deleteIfExists(p);
        return;
      }
      Files.walkFileTree(
          p,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", p, e.toString());
    }
  }
}
