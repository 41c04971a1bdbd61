package dev.strata.train.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.strata.preprocess.PipelineJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Appends one JSON object per finished epoch to a file (JSON lines), flushed each time. */
public final class JsonLinesLog implements TrainingListener {
  private final Path file;

  public JsonLinesLog(Path file) {
    this.file = file;
  }

  @Override
  public void onEpoch(EpochStats stats) {
    try {
      String line = PipelineJson.mapper().writeValueAsString(stats) + "\n";
      Files.writeString(
          file,
          line.replace("\"NaN\"", "null"),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.SYNC);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
