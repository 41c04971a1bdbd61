package dev.strata.cloud;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.control.ManifestVerificationException;
import dev.strata.control.Sha256;
import dev.strata.core.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud's own model repository on disk ({@code <model>/config.json}, {@code
 * <model>/<version>/model.onnx}), written only by the deployer. Model files are copied from the
 * artifact store into a temporary file beside their target, hashed while copied, checked against
 * the signed manifest's digest and size, forced to disk and renamed into place atomically, so the
 * runtime never sees a partial or unverified file; config.json is replaced the same way. Names
 * starting with a dot are invisible to the runtime, so temporary files and directories being
 * deleted never look like models or versions; {@link #sweep} removes what a crash left of them.
 */
final class CloudRepository {
  private static final Logger LOG = LoggerFactory.getLogger(CloudRepository.class);
  static final String CONFIG = "config.json";
  static final String LABELS = "labels.txt";
  static final String MODEL_FILE = "model.onnx";
  private static final String TRASH = ".trash-";

  /** Opens an artifact for reading. */
  @FunctionalInterface
  interface ArtifactSource {
    InputStream open(String sha256);
  }

  private final Path root;
  private final Map<Path, String> verified = new ConcurrentHashMap<>();

  CloudRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
    try {
      Files.createDirectories(this.root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the cloud model repository " + root, e);
    }
  }

  Path root() {
    return root;
  }

  /** Removes temporary files and half-deleted directories a crash left behind. */
  void sweep() {
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
      LOG.info("cloud model repository: removed {} leftover(s) of an interrupted change", removed);
    }
  }

  /** The model directories. */
  List<String> models() {
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
   * Makes {@code <model>/<version>/model.onnx} hold exactly the artifact {@code sha256} of {@code
   * size} bytes; returns whether it had to write it. A file already there is trusted only once
   * hashed by this process.
   */
  boolean ensureVersion(
      String model, long version, String sha256, long size, ArtifactSource source) {
    Path dir = root.resolve(model);
    Path file = dir.resolve(Long.toString(version)).resolve(MODEL_FILE);
    if (sha256.equals(verified.get(file)) && Files.isRegularFile(file)) {
      return false;
    }
    if (Files.isRegularFile(file) && sha256.equals(digestOf(file))) {
      verified.put(file, sha256);
      return false;
    }
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, ".v" + version + "-", ".tmp");
      MessageDigest digest = Sha256.newDigest();
      long copied = 0;
      try (InputStream in = source.open(sha256);
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
          "cannot write " + model + " version " + version + " into " + dir, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          LOG.warn("cannot delete temporary file {}: {}", tmp, e.toString());
        }
      }
    }
  }

  /**
   * Writes the model's config.json (serve exactly {@code versions}) and its labels file when they
   * differ from what is there; returns whether anything changed.
   */
  boolean writeConfig(String model, SortedSet<Long> versions, List<String> labels) {
    Path dir = root.resolve(model);
    ObjectNode config = Json.mapper().createObjectNode();
    config.put("name", model);
    ArrayNode list = config.putObject("version_policy").putObject("specific").putArray("versions");
    versions.forEach(list::add);
    boolean changed = false;
    if (!labels.isEmpty()) {
      config.put("labels", LABELS);
      changed |=
          replaceIfDifferent(
              dir.resolve(LABELS),
              (String.join("\n", labels) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    changed |= replaceIfDifferent(dir.resolve(CONFIG), Json.writeBytes(config));
    return changed;
  }

  private static boolean replaceIfDifferent(Path file, byte[] content) {
    try {
      if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), content)) {
        return false;
      }
      AtomicFiles.write(file, content);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Deletes the version directories of a model that are not in {@code keep}. */
  void retainVersions(String model, Set<Long> keep) {
    Path dir = root.resolve(model);
    for (Path p : list(dir)) {
      String name = p.getFileName().toString();
      if (Files.isDirectory(p) && name.matches("[0-9]+") && !keep.contains(Long.parseLong(name))) {
        remove(p);
      }
    }
  }

  /** Deletes a model's directory (renamed out of sight first, so the runtime never sees half). */
  void removeModel(String model) {
    remove(root.resolve(model));
  }

  private void remove(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    Path trash = dir.resolveSibling(TRASH + dir.getFileName() + "-" + System.nanoTime());
    try {
      Files.move(dir, trash, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir, e);
    }
    verified.keySet().removeIf(p -> p.startsWith(dir));
    deleteTree(trash);
  }

  static String digestOf(Path file) {
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
