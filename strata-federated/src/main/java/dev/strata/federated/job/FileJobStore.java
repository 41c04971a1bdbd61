package dev.strata.federated.job;

import static java.util.Objects.requireNonNull;

import dev.strata.control.Json;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.Aggregator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Jobs in a directory: {@code <id>/job.json} (spec, state, rounds), {@code <id>/server.bin} (the
 * server optimizer's moments) and {@code <id>/rounds/round-NNNN.params} (every round's global
 * model, little-endian float32). Every file is written atomically and {@code job.json} last, so a
 * job always loads as of a completed round.
 */
public final class FileJobStore implements JobStore {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final Path dir;

  public FileJobStore(Path dir) {
    this.dir = requireNonNull(dir, "dir");
  }

  /** The saved header: everything but the arrays. */
  record Header(
      JobSpec spec,
      JobCoordinator.State state,
      Optional<String> reason,
      List<RoundSummary> rounds,
      long serverSteps,
      boolean serverFirst,
      boolean serverSecond,
      double population) {}

  @Override
  public void save(String id, Saved s) {
    Path job = job(id);
    try {
      Files.createDirectories(job);
      if (s.rounds().isEmpty()) {
        saveRound(id, 0, s.global());
      }
      Aggregator.State a = s.aggregator();
      int n = s.global().length;
      ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
      if (a.first() != null) {
        b.asFloatBuffer().put(a.first());
      }
      if (a.second() != null) {
        b.position(4 * n);
        b.asFloatBuffer().put(a.second());
      }
      AtomicFiles.write(job.resolve("server.bin"), b.array());
      Header h =
          new Header(
              s.spec(),
              s.state(),
              s.reason(),
              s.rounds(),
              a.steps(),
              a.first() != null,
              a.second() != null,
              s.population());
      AtomicFiles.write(job.resolve("job.json"), Json.writeBytes(h));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save federated job " + id, e);
    }
  }

  @Override
  public void saveRound(String id, int round, float[] global) {
    try {
      Path rounds = job(id).resolve("rounds");
      Files.createDirectories(rounds);
      ByteBuffer b = ByteBuffer.allocate(4 * global.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(global);
      AtomicFiles.write(rounds.resolve(String.format("round-%04d.params", round)), b.array());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save round " + round + " of federated job " + id, e);
    }
  }

  @Override
  public Optional<Saved> load(String id) {
    Path file = job(id).resolve("job.json");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      Header h = Json.read(Files.readString(file), Header.class);
      float[] global =
          global(id, h.rounds().size())
              .orElseThrow(
                  () ->
                      StrataException.invalid(
                          "federated job %s: the model of round %d is missing",
                          id, h.rounds().size()));
      int n = global.length;
      ByteBuffer b =
          ByteBuffer.wrap(Files.readAllBytes(job(id).resolve("server.bin")))
              .order(ByteOrder.LITTLE_ENDIAN);
      float[] first = null;
      float[] second = null;
      if (b.capacity() == 8 * n) {
        if (h.serverFirst()) {
          first = new float[n];
          b.asFloatBuffer().get(first);
        }
        if (h.serverSecond()) {
          second = new float[n];
          b.position(4 * n);
          b.asFloatBuffer().get(second);
        }
      }
      return Optional.of(
          new Saved(
              h.spec(),
              h.state(),
              h.reason(),
              h.rounds(),
              new Aggregator.State(h.serverSteps(), first, second),
              h.population(),
              global));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load federated job " + id, e);
    }
  }

  @Override
  public Optional<float[]> global(String id, int round) {
    Path f = job(id).resolve("rounds").resolve(String.format("round-%04d.params", round));
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[b.capacity() / 4];
      b.asFloatBuffer().get(out);
      return Optional.of(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read round " + round + " of federated job " + id, e);
    }
  }

  @Override
  public List<String> jobs() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<String> out = new ArrayList<>();
      s.filter(p -> Files.isRegularFile(p.resolve("job.json")))
          .forEach(p -> out.add(p.getFileName().toString()));
      out.sort(null);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list federated jobs in " + dir, e);
    }
  }

  private Path job(String id) {
    if (!ID.matcher(id).matches()) {
      throw StrataException.invalid(
          "federated job id '%s' (expected: letters, digits, '.', '_' or '-')", id);
    }
    return dir.resolve(id);
  }
}
