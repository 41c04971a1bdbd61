package dev.strata.it;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One {@code strata} command in a child JVM ({@code java ... ChildMain dev.strata.cli.StrataCli
 * <command> ...}) that can be started again with the same arguments: its output (stdout and stderr)
 * is appended to one log file across restarts, each start marked with a header line.
 */
final class StrataProcess {
  /** The CLI's entry point, run by {@link ChildMain}. */
  static final String STRATA_MAIN = "dev.strata.cli.StrataCli";

  private static final long STOP_TIMEOUT_SECONDS = 30;

  private final String name;
  private final List<String> command;
  private final Map<String, String> environment;
  private final Path log;
  private Process process;
  private int starts;

  /**
   * @param name short name for messages and the log file ({@code cloud}, {@code edge-1})
   * @param jvm the JVM and its options, up to the class path
   * @param strataArgs the {@code strata} subcommand and its options
   * @param environment extra environment variables (secrets go here, never on the command line)
   * @param log where the output goes
   */
  StrataProcess(
      String name,
      JvmCommand jvm,
      List<String> strataArgs,
      Map<String, String> environment,
      Path log) {
    this.name = requireNonNull(name, "name");
    List<String> cmd = new ArrayList<>(jvm.command());
    cmd.add(ChildMain.class.getName());
    cmd.add(STRATA_MAIN);
    cmd.addAll(strataArgs);
    this.command = List.copyOf(cmd);
    this.environment = Map.copyOf(environment);
    this.log = requireNonNull(log, "log");
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  /** Starts the process (again); it must not be running. */
  synchronized void start() {
    if (alive()) {
      throw new IllegalStateException(name + " is running already (pid " + process.pid() + ")");
    }
    starts++;
    try {
      Files.createDirectories(log.getParent());
      Files.writeString(
          log,
          String.format(
              "%n===== %s start #%d at %s%n===== %s%n",
              name, starts, Instant.now(), String.join(" ", command)),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().putAll(environment);
      // stdin stays a pipe held by this JVM: ChildMain exits when it closes
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  synchronized Optional<Long> pid() {
    return process == null ? Optional.empty() : Optional.of(process.pid());
  }

  /** The exit status, once the process has ended. */
  synchronized Optional<Integer> exitValue() {
    return process == null || process.isAlive()
        ? Optional.empty()
        : Optional.of(process.exitValue());
  }

  /** SIGKILL ({@code kill -9}): no shutdown hook runs. Returns once the process is gone. */
  synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    await(process);
  }

  /**
   * SIGTERM: the shutdown hook drains and stops the server. Returns the exit status once the
   * process is gone; a process that does not stop in time is killed and reported.
   */
  synchronized int stop() {
    requireNonNull(process, name + " was never started");
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        await(process);
        throw new AssertionError(
            name + " did not stop within " + STOP_TIMEOUT_SECONDS + " s of SIGTERM; killed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping " + name, e);
    }
    return process.exitValue();
  }

  private void await(Process p) {
    try {
      if (!p.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + " (pid " + p.pid() + ") survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing " + name, e);
    }
  }

  /** The log's last {@code lines} lines. */
  String tail(int lines) {
    try {
      if (!Files.exists(log)) {
        return "(no log)";
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(
          System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** Fails with the log's end when the process is not running. */
  void requireAlive() {
    Optional<Integer> exit = exitValue();
    if (exit.isPresent()) {
      throw new AssertionError(
          name + " exited with status " + exit.get() + "; its log ends:\n" + tail(60));
    }
  }

  @Override
  public String toString() {
    return name + pid().map(p -> " (pid " + p + ")").orElse("");
  }
}
