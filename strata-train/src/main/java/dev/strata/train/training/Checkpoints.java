package dev.strata.train.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.PipelineJson;
import dev.strata.train.spec.TrainingSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The files of a checkpoint directory: {@code spec.json}, {@code pipeline.json} (the fitted
 * pipeline), {@code epoch-NNNN.params} / {@code epoch-NNNN.optimizer} (weights and optimizer state
 * after an epoch), {@code best.params} (the best epoch's weights) and {@code state.json}, written
 * last, which says which of them are current.
 */
public final class Checkpoints {
  public static final String SPEC = "spec.json";
  public static final String PIPELINE = "pipeline.json";
  public static final String STATE = "state.json";
  public static final String BEST = "best.params";

  private Checkpoints() {}

  static void writeStart(Path dir, TrainingSpec spec, FittedPipeline pipeline) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.write(dir.resolve(SPEC), spec.toJson().getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(dir.resolve(PIPELINE), pipeline.toJson().getBytes(StandardCharsets.UTF_8));
  }

  static void writeEpoch(
      Path dir, CheckpointState state, byte[] params, byte[] optimizer, byte[] bestOrNull)
      throws IOException {
    AtomicFiles.write(dir.resolve(state.parametersFile()), params);
    AtomicFiles.write(dir.resolve(state.optimizerFile()), optimizer);
    if (bestOrNull != null) {
      AtomicFiles.write(dir.resolve(BEST), bestOrNull);
    }
    AtomicFiles.write(
        dir.resolve(STATE), PipelineJson.write(state).getBytes(StandardCharsets.UTF_8));
    try (Stream<Path> old = Files.list(dir)) {
      for (Path p : old.toList()) {
        String n = p.getFileName().toString();
        if (n.startsWith("epoch-")
            && !n.equals(state.parametersFile())
            && !n.equals(state.optimizerFile())) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Reads a checkpoint's spec. */
  public static TrainingSpec spec(Path dir) throws IOException {
    return TrainingSpec.parse(read(dir, SPEC), false, dir.resolve(SPEC).toString());
  }

  public static FittedPipeline pipeline(Path dir) throws IOException {
    return FittedPipeline.fromJson(read(dir, PIPELINE));
  }

  public static CheckpointState state(Path dir) throws IOException {
    String what = dir.resolve(STATE).toString();
    JsonNode tree = PipelineJson.readTree(read(dir, STATE), what);
    PipelineJson.checkFormatVersion(tree, CheckpointState.FORMAT_VERSION, what);
    return PipelineJson.convert(tree, CheckpointState.class, what);
  }

  static byte[] bytes(Path dir, String name) throws IOException {
    Path p = dir.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw StrataException.notFound("checkpoint %s: no file %s", dir, name);
    }
    return Files.readAllBytes(p);
  }

  private static String read(Path dir, String name) throws IOException {
    return new String(bytes(dir, name), StandardCharsets.UTF_8);
  }
}
