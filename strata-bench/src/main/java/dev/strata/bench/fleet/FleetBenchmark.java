package dev.strata.bench.fleet;

import dev.strata.api.CloudApiClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A simulated fleet against one running cloud: {@code --agents} lightweight agents enroll, then
 * each sends a heartbeat every {@code --interval} (spread evenly over the interval) and a
 * conditional desired-state poll half an interval later. After a warm-up it measures for {@code
 * --duration} and prints per operation the latency percentiles (from the moment each request was
 * due), errors, and whether p99 stayed under {@code --target-ms}. All agents share one JDK HTTP
 * client with a small pool, so the load generator stays cheap next to the cloud it measures.
 */
@Command(
    name = "fleet-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Simulated edge fleet against a running Strata cloud (control plane only).")
public final class FleetBenchmark implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "The cloud.")
  URI url;

  @Option(
      names = "--admin-token",
      description = "Admin token (default: $STRATA_ADMIN_TOKEN).",
      defaultValue = "${env:STRATA_ADMIN_TOKEN}")
  String adminToken;

  @Option(names = "--agents", defaultValue = "1000", description = "Simulated agents.")
  int agents;

  @Option(
      names = "--interval-s",
      defaultValue = "10",
      description = "Heartbeat interval in seconds (default: ${DEFAULT-VALUE}).")
  int intervalSeconds;

  @Option(
      names = "--warmup-s",
      defaultValue = "20",
      description = "Seconds of steady traffic before measuring (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(
      names = "--duration-s",
      defaultValue = "60",
      description = "Seconds measured (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(
      names = "--enroll-concurrency",
      defaultValue = "16",
      description = "Enrollments in flight at once (default: ${DEFAULT-VALUE}).")
  int enrollConcurrency;

  @Option(
      names = "--client-threads",
      defaultValue = "2",
      description = "Threads of the simulator's HTTP client (default: ${DEFAULT-VALUE}).")
  int clientThreads;

  @Option(
      names = "--max-in-flight",
      defaultValue = "512",
      description =
          "Requests the simulator has in flight at most; more wait, their wait counted in the"
              + " latency (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--cloud-pid", description = "The cloud's process id, to report its CPU use.")
  Long cloudPid;

  @Option(
      names = "--target-ms",
      defaultValue = "100",
      description = "The p99 latency a control-plane operation must stay under.")
  double targetMs;

  @Option(names = "--name-prefix", defaultValue = "sim", description = "Agent name prefix.")
  String prefix;

  public static void main(String[] args) {
    System.exit(new CommandLine(new FleetBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (adminToken == null || adminToken.isBlank()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--admin-token or STRATA_ADMIN_TOKEN is required");
    }
    PrintWriter out = spec.commandLine().getOut();
    ExecutorService clientPool = Executors.newFixedThreadPool(clientThreads);
    CloudApiClient http =
        CloudApiClient.builder(url)
            .executor(clientPool)
            .connectTimeout(Duration.ofSeconds(10))
            .timeout(Duration.ofSeconds(30))
            .build();
    ControlPlane cloud = new ControlPlane(http, adminToken);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      Result r = run(cloud, timer, out);
      out.println(r.report());
      out.flush();
      return r.passed() ? 0 : 3;
    } finally {
      timer.shutdownNow();
      clientPool.shutdownNow();
      http.close();
    }
  }

  record Result(
      int agents,
      List<Summary> ops,
      double cloudCores,
      double simulatorCores,
      String loadBefore,
      String loadAfter,
      double targetMs) {
    boolean passed() {
      return ops.stream()
          .filter(s -> !s.name().equals("enroll"))
          .allMatch(s -> s.errors() == 0 && s.count() > 0 && s.p99Ms() < targetMs);
    }

    String report() {
      StringBuilder sb = new StringBuilder();
      sb.append(
          String.format(
              Locale.ROOT,
              "%nagents=%d  cloud CPU=%.2f cores  simulator CPU=%.2f cores  load average before: %s"
                  + "  after: %s%n",
              agents,
              cloudCores,
              simulatorCores,
              loadBefore,
              loadAfter));
      sb.append(
          String.format(
              Locale.ROOT,
              "%-14s %8s %8s %8s %8s %8s %8s %8s %7s %6s%n",
              "operation",
              "count",
              "per s",
              "p50 ms",
              "p90 ms",
              "p99 ms",
              "p99.9 ms",
              "max ms",
              "errors",
              "late"));
      for (Summary s : ops) {
        sb.append(
            String.format(
                Locale.ROOT,
                "%-14s %8d %8.1f %8.2f %8.2f %8.2f %8.2f %8.2f %7d %6d%n",
                s.name(),
                s.count(),
                s.perSecond(),
                s.p50Ms(),
                s.p90Ms(),
                s.p99Ms(),
                s.p999Ms(),
                s.maxMs(),
                s.errors(),
                s.late()));
        if (!s.lastError().isEmpty()) {
          sb.append("    last error: ").append(s.lastError()).append('\n');
        }
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "verdict: %s (heartbeat and desired-state p99 < %.0f ms, no errors)%n",
              passed() ? "PASS" : "FAIL",
              targetMs));
      return sb.toString();
    }
  }

  record Summary(
      String name,
      long count,
      double perSecond,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double p999Ms,
      double maxMs,
      long errors,
      long late,
      String lastError) {
    static Summary of(OpStats s, Histogram h, double seconds) {
      return new Summary(
          s.name(),
          h.getTotalCount(),
          h.getTotalCount() / seconds,
          h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(90) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0,
          h.getValueAtPercentile(99.9) / 1000.0,
          h.getMaxValue() / 1000.0,
          s.errors(),
          s.lateSends(),
          s.lastError());
    }
  }

  private Result run(ControlPlane cloud, ScheduledExecutorService timer, PrintWriter out)
      throws Exception {
    long interval = TimeUnit.SECONDS.toNanos(intervalSeconds);
    out.printf("setting up: a deployment every agent matches, %d enrollment tokens%n", agents);
    out.flush();
    cloud.deployToEveryAgent("fleet-bench", "fleet-bench-model");
    List<String> tokens = createTokens(cloud);

    OpStats enroll = new OpStats("enroll");
    OpStats beats = new OpStats("heartbeat");
    OpStats polls = new OpStats("desired-state");
    out.printf("enrolling %d agents, %d at a time%n", agents, enrollConcurrency);
    out.flush();
    long enrollStart = System.nanoTime();
    List<SimulatedAgent> fleet = enroll(cloud, timer, tokens, enroll, polls);
    double enrollSeconds = (System.nanoTime() - enrollStart) / 1e9;
    Histogram enrollHistogram = enroll.interval();
    polls.interval(); // the initial full fetches are not steady-state polls
    polls.resetCounters();

    out.printf(
        "enrolled in %.1f s; steady traffic: warm-up %d s, then %d s measured%n",
        enrollSeconds, warmupSeconds, durationSeconds);
    out.flush();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    for (int i = 0; i < fleet.size(); i++) {
      SimulatedAgent a = fleet.get(i);
      long offset = interval * i / fleet.size();
      schedule(timer, start + offset, interval, due -> a.heartbeat(beats, polls, due));
      schedule(timer, start + offset + interval / 2, interval, due -> a.poll(polls, due));
    }
    TimeUnit.SECONDS.sleep(warmupSeconds);
    beats.interval();
    polls.interval();
    beats.resetCounters();
    polls.resetCounters();
    String loadBefore = loadAverage();
    long cloudTicks = cloudCpuTicks();
    long selfCpu = selfCpuNanos();
    long t0 = System.nanoTime();
    TimeUnit.SECONDS.sleep(durationSeconds);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Histogram beatHistogram = beats.interval();
    Histogram pollHistogram = polls.interval();
    double cloudCores =
        cloudTicks < 0 ? Double.NaN : (cloudCpuTicks() - cloudTicks) / 100.0 / seconds;
    double selfCores = (selfCpuNanos() - selfCpu) / 1e9 / seconds;
    String loadAfter = loadAverage();
    timer.shutdownNow();
    return new Result(
        agents,
        List.of(
            Summary.of(enroll, enrollHistogram, enrollSeconds),
            Summary.of(beats, beatHistogram, seconds),
            Summary.of(polls, pollHistogram, seconds)),
        cloudCores,
        selfCores,
        loadBefore,
        loadAfter,
        targetMs);
  }

  private interface Fire {
    void at(long dueNanos);
  }

  /** Runs {@code fire} every {@code interval} from {@code first}, telling it when it was due. */
  private static void schedule(
      ScheduledExecutorService timer, long first, long interval, Fire fire) {
    AtomicLong n = new AtomicLong();
    timer.scheduleAtFixedRate(
        () -> fire.at(first + n.getAndIncrement() * interval),
        first - System.nanoTime(),
        interval,
        TimeUnit.NANOSECONDS);
  }

  private List<String> createTokens(ControlPlane cloud) throws Exception {
    List<CompletableFuture<String>> futures = new ArrayList<>();
    Semaphore inFlight = new Semaphore(enrollConcurrency);
    try (ExecutorService vt = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < agents; i++) {
        inFlight.acquire();
        String node = prefix + "-" + i; // the agent that enrolls with it (also again, on a rerun)
        futures.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return cloud.enrollmentToken(node);
                  } finally {
                    inFlight.release();
                  }
                },
                vt));
      }
    }
    return futures.stream().map(CompletableFuture::join).toList();
  }

  private List<SimulatedAgent> enroll(
      ControlPlane cloud,
      ScheduledExecutorService timer,
      List<String> tokens,
      OpStats enroll,
      OpStats polls)
      throws Exception {
    List<SimulatedAgent> fleet = new ArrayList<>();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    Semaphore inFlight = new Semaphore(enrollConcurrency);
    Semaphore requests = new Semaphore(maxInFlight);
    for (int i = 0; i < tokens.size(); i++) {
      SimulatedAgent a = new SimulatedAgent(cloud, requests, timer, prefix + "-" + i);
      fleet.add(a);
      inFlight.acquire();
      long due = System.nanoTime();
      pending.add(
          cloud
              .enroll(tokens.get(i), a.name())
              .thenAccept(
                  e -> {
                    enroll.record(due, System.nanoTime());
                    a.enrolled(e.credential(), "");
                    long pollDue = System.nanoTime();
                    timer.execute(() -> a.poll(polls, pollDue)); // a new agent fetches its state
                  })
              .whenComplete(
                  (ok, failure) -> {
                    if (failure != null) {
                      enroll.error(a.name() + ": " + SimulatedAgent.why(failure));
                    }
                    inFlight.release();
                  }));
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .exceptionally(e -> null)
        .join();
    if (enroll.errors() > 0) {
      throw new IllegalStateException(
          enroll.errors() + " enrollment(s) failed; last: " + enroll.lastError());
    }
    return fleet;
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "n/a";
    }
  }

  /** utime + stime of the cloud process in clock ticks (100 per second on Linux), or -1. */
  private long cloudCpuTicks() {
    if (cloudPid == null) {
      return -1;
    }
    try {
      String stat = Files.readString(Path.of("/proc", cloudPid.toString(), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long selfCpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }
}
