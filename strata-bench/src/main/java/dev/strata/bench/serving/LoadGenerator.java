package dev.strata.bench.serving;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.strata.core.InferenceRequest;
import dev.strata.core.ModelStatistics;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.RestClient;
import dev.strata.protocol.client.StrataClient;
import dev.strata.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.strata.protocol.grpc.GrpcConverters;
import dev.strata.protocol.grpc.ModelInferRequest;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.RestCodec;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drives a server with inference requests and reports throughput and latency. Closed loop by
 * default ({@code --concurrency N} clients, each sending its next request when the last one is
 * answered); open loop with {@code --rate R} (requests sent on a fixed schedule, latency measured
 * from the scheduled time so a stalled server cannot hide its queueing). After a warm-up it
 * measures {@code --windows} windows of {@code --window-seconds} each and reports every window's
 * throughput, so an unstable measurement shows. Prints one JSON line.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = "Closed- or open-loop load on a server.")
public final class LoadGenerator implements Callable<Integer> {
  enum Transport {
    json,
    binary,
    grpc
  }

  @Option(names = "--host", defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--http-port", defaultValue = "8000")
  int httpPort;

  @Option(names = "--grpc-port", defaultValue = "8001")
  int grpcPort;

  @Option(names = "--model", required = true)
  String model;

  @Option(names = "--transport", required = true, description = "json, binary or grpc")
  Transport transport;

  @Option(names = "--concurrency", defaultValue = "16")
  int concurrency;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description = "Requests per second (open loop); 0 = closed loop.")
  double rate;

  @Option(
      names = "--warmup",
      defaultValue = "15",
      description = "Seconds of load before measuring (the server's JIT shares its core).")
  int warmup;

  @Option(names = "--windows", defaultValue = "5")
  int windows;

  @Option(names = "--window-seconds", defaultValue = "5")
  int windowSeconds;

  @Option(
      names = "--server-pid",
      defaultValue = "0",
      description = "The server's pid: report its CPU time per request.")
  long serverPid;

  private final Recorder recorder = new Recorder(3_600_000_000_000L, 3);
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private volatile boolean running = true;

  /**
   * Requests sent (closed loop) or due (open loop) before this instant belong to the warm-up and
   * are not recorded: a backlog the cold load generator built up while warming up would otherwise
   * count as the server's latency.
   */
  private volatile long measureFrom = Long.MAX_VALUE;

  private volatile String firstError = "";
  private double cpuPerRequestUs;
  private double clientCpuPerRequestUs;

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadGenerator()).execute(args));
  }

  /** Sends one request; calls back with (nanoTime at completion, failure or null). */
  interface Target extends AutoCloseable {
    void send(BiConsumer<Long, Throwable> done);

    @Override
    void close();
  }

  @Override
  public Integer call() throws Exception {
    InferenceRequest request = BenchModels.request(model);
    try (StrataClient control = StrataClient.rest(ClientConfig.of(host, httpPort));
        Target target = target(request)) {
      ModelStatistics before = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      Thread driver = rate > 0 ? openLoop(target) : closedLoop(target);
      sleep(warmup);
      measureFrom = System.nanoTime();
      recorder.getIntervalHistogram();
      long[] perWindow = new long[windows];
      Histogram all = new Histogram(3_600_000_000_000L, 3);
      ModelStatistics start = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      long errorsAtStart = errors.get();
      ProcessCpu cpu = serverPid > 0 ? new ProcessCpu(serverPid) : null;
      long cpuStart = cpu == null ? 0 : cpu.nanos();
      ProcessCpu self = new ProcessCpu(ProcessHandle.current().pid());
      long selfStart = self.nanos();
      long completedStart = completed.get();
      for (int w = 0; w < windows; w++) {
        long c0 = completed.get();
        sleep(windowSeconds);
        perWindow[w] = completed.get() - c0;
        all.add(recorder.getIntervalHistogram());
      }
      long served = completed.get() - completedStart;
      cpuPerRequestUs = cpu == null || served == 0 ? 0 : (cpu.nanos() - cpuStart) / 1e3 / served;
      clientCpuPerRequestUs = served == 0 ? 0 : (self.nanos() - selfStart) / 1e3 / served;
      ModelStatistics end = control.statistics(Optional.of(model), Optional.empty()).getFirst();
      running = false;
      if (driver != null) {
        driver.join();
      }
      report(perWindow, all, errors.get() - errorsAtStart, start, end, before);
    }
    return 0;
  }

  private Target target(InferenceRequest request) {
    return switch (transport) {
      case json, binary -> rest(request, transport == Transport.binary);
      case grpc -> grpc(request);
    };
  }

  private Target rest(InferenceRequest request, boolean binary) {
    int connections = rate > 0 ? 256 : concurrency;
    RestClient client =
        (RestClient)
            StrataClient.rest(ClientConfig.of(host, httpPort).withMaxConnections(connections));
    EncodedBody body = new RestCodec().encodeInferRequest(request, binary, binary);
    Duration timeout = Duration.ofSeconds(30);
    return new Target() {
      @Override
      public void send(BiConsumer<Long, Throwable> done) {
        client
            .inferAsync(model, Optional.empty(), body, timeout)
            .whenComplete((r, e) -> done.accept(System.nanoTime(), e));
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  private Target grpc(InferenceRequest request) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, grpcPort)
            .usePlaintext()
            .directExecutor()
            .maxInboundMessageSize(64 << 20)
            .build();
    // No deadline per call: each one schedules and cancels a timer on the event loop, about 8 µs
    // of the client's CPU per call at 64 clients, which the server's figures would pay for. A run
    // ends at its last window whatever is still in flight, so a lost answer cannot hang it.
    var stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
    ModelInferRequest message = GrpcConverters.modelInferRequest(request, true);
    return new Target() {
      @Override
      public void send(BiConsumer<Long, Throwable> done) {
        Futures.addCallback(
            stub.modelInfer(message),
            new FutureCallback<dev.strata.protocol.grpc.ModelInferResponse>() {
              @Override
              public void onSuccess(dev.strata.protocol.grpc.ModelInferResponse result) {
                done.accept(System.nanoTime(), null);
              }

              @Override
              public void onFailure(Throwable t) {
                done.accept(System.nanoTime(), t);
              }
            },
            MoreExecutors.directExecutor());
      }

      @Override
      public void close() {
        channel.shutdownNow();
      }
    };
  }

  private Thread closedLoop(Target target) {
    for (int i = 0; i < concurrency; i++) {
      issue(target);
    }
    return null;
  }

  private void issue(Target target) {
    long sent = System.nanoTime();
    target.send(
        (at, failure) -> {
          record(sent, at, failure);
          if (running) {
            issue(target);
          }
        });
  }

  private Thread openLoop(Target target) {
    Thread t =
        new Thread(
            () -> {
              long period = (long) (1e9 / rate);
              long next = System.nanoTime();
              boolean rebased = false;
              while (running) {
                if (!rebased && measureFrom != Long.MAX_VALUE) {
                  // The schedule starts afresh with the measurement, without the warm-up's backlog.
                  next = Math.max(next, measureFrom);
                  rebased = true;
                }
                long scheduled = next;
                long wait = scheduled - System.nanoTime();
                if (wait > 0) {
                  LockSupport.parkNanos(wait);
                }
                target.send((at, failure) -> record(scheduled, at, failure));
                next += period;
              }
            },
            "open-loop");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void record(long from, long at, Throwable failure) {
    if (from < measureFrom) {
      return;
    }
    if (failure != null) {
      if (errors.getAndIncrement() == 0) {
        firstError = String.valueOf(failure);
      }
    } else {
      recorder.recordValue(Math.max(0, at - from));
      completed.incrementAndGet();
    }
  }

  private void report(
      long[] perWindow,
      Histogram all,
      long errorCount,
      ModelStatistics start,
      ModelStatistics end,
      ModelStatistics before) {
    List<String> tput = new ArrayList<>();
    double sum = 0;
    double min = Double.MAX_VALUE;
    double max = 0;
    for (long c : perWindow) {
      double t = (double) c / windowSeconds;
      tput.add(String.format(Locale.ROOT, "%.1f", t));
      sum += t;
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    double mean = sum / perWindow.length;
    long inferences = end.inferenceCount() - start.inferenceCount();
    long executions = end.executionCount() - start.executionCount();
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"kind\":\"server\",\"tool\":\"load\",\"model\":\"%s\",\"transport\":\"%s\",\"concurrency\":%d,\"rate\":%.1f,"
                + "\"req_per_s\":%.1f,\"windows\":[%s],\"spread\":%.3f,\"p50_us\":%.1f,\"p90_us\":%.1f,"
                + "\"p99_us\":%.1f,\"p999_us\":%.1f,\"errors\":%d,\"mean_batch\":%.2f,"
                + "\"server_cpu_us_per_req\":%.1f,\"client_cpu_us_per_req\":%.1f%s}",
            model,
            transport,
            rate > 0 ? 0 : concurrency,
            rate,
            mean,
            String.join(",", tput),
            mean == 0 ? 0 : (max - min) / mean,
            all.getValueAtPercentile(50) / 1e3,
            all.getValueAtPercentile(90) / 1e3,
            all.getValueAtPercentile(99) / 1e3,
            all.getValueAtPercentile(99.9) / 1e3,
            errorCount,
            executions == 0 ? 0 : (double) inferences / executions,
            cpuPerRequestUs,
            clientCpuPerRequestUs,
            errorCount == 0 ? "" : ",\"first_error\":\"" + firstError.replace("\"", "'") + "\""));
  }

  private static void sleep(int seconds) throws InterruptedException {
    TimeUnit.SECONDS.sleep(seconds);
  }
}
