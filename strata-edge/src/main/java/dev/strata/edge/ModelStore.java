package dev.strata.edge;

import dev.strata.core.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The runtime's model repository as the agent fills it: {@code <model>/<version>/model.onnx}, a
 * hard link to the verified artifact (a copy where links are not possible), and a {@code
 * config.json} whose version policy names exactly the version deployed, so that a rollback to an
 * older version is served as it is. Files appear by atomic rename only.
 */
final class ModelStore {
  static final String MODEL_FILE = "model.onnx";
  static final String CONFIG_FILE = "config.json";

  private final Path root;
  private final Path staging;

  ModelStore(Path root, Path staging) {
    this.root = root;
    this.staging = staging;
  }

  Path root() {
    return root;
  }

  Path modelFile(String model, long version) {
    return root.resolve(model).resolve(Long.toString(version)).resolve(MODEL_FILE);
  }

  /** Whether the version's file is the artifact itself (a hard link to it). */
  boolean isInstalled(String model, long version, Path artifact) {
    Path f = modelFile(model, version);
    try {
      return Files.exists(f) && Files.isSameFile(f, artifact);
    } catch (IOException e) {
      return false;
    }
  }

  /** Puts the artifact in place as the model's version file (replacing one there). */
  void install(String model, long version, Path artifact) {
    Path target = modelFile(model, version);
    Path staged = staging.resolve(UUID.randomUUID() + ".onnx");
    try {
      Files.createDirectories(target.getParent());
      try {
        Files.createLink(staged, artifact);
      } catch (UnsupportedOperationException | FileSystemException e) {
        Files.copy(artifact, staged, StandardCopyOption.REPLACE_EXISTING);
        try (var ch = FileChannel.open(staged, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      }
      AtomicFiles.moveIntoPlace(staged, target);
    } catch (IOException e) {
      deleteQuietly(staged);
      throw new UncheckedIOException("cannot install " + target, e);
    }
  }

  /** Points the model's config at one version. */
  void serveOnly(String model, long version) {
    String json = "{\n  \"version_policy\": {\"specific\": {\"versions\": [" + version + "]}}\n}\n";
    try {
      AtomicFiles.write(
          root.resolve(model).resolve(CONFIG_FILE), json.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the config of model " + model, e);
    }
  }

  /** Deletes the model's version directories other than {@code keep}. */
  void removeVersionsExcept(String model, long keep) {
    Path dir = root.resolve(model);
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (Files.isDirectory(p) && !p.getFileName().toString().equals(Long.toString(keep))) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + dir, e);
    }
  }

  /** Deletes a model's directory. */
  void remove(String model) {
    deleteTree(root.resolve(model));
  }

  /** Deletes model directories not in {@code keep}, and whatever staging holds. */
  void retainOnly(Set<String> keep) {
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : s.toList()) {
        if (!keep.contains(p.getFileName().toString())) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + root, e);
    }
    try (Stream<Path> s = Files.list(staging)) {
      for (Path p : s.toList()) {
        deleteTree(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + staging, e);
    }
  }

  private static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + p, e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a leftover in staging is removed at the next start
    }
  }
}
