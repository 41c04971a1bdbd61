package dev.strata.bench.serving;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.strata.onnx.ExampleModels;
import dev.strata.runtime.OrtSessions;
import dev.strata.runtime.SessionSettings;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The in-process reference: the same ONNX file run by ONNX Runtime in this process with the
 * server's session settings ({@link OrtSessions}, one intra-op thread), in a tight loop at a fixed
 * batch size. Counts what the server also does per execution: wrapping the input in a tensor and
 * copying the output out. Prints one JSON line.
 */
@Command(
    name = "in-process",
    mixinStandardHelpOptions = true,
    description = "Run a model in-process in a loop.")
public final class InProcessBench implements Callable<Integer> {
  @Option(names = "--repository", required = true)
  Path repository;

  @Option(names = "--model", required = true)
  String model;

  @Option(names = "--batch", defaultValue = "1")
  int batch;

  @Option(names = "--threads", defaultValue = "1")
  int threads;

  @Option(names = "--warmup", defaultValue = "3", description = "Seconds.")
  int warmup;

  @Option(names = "--seconds", defaultValue = "10")
  int seconds;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description =
          "Calls per second on a fixed schedule, latency from each call's due time (open loop, as"
              + " the LoadGenerator's --rate); 0 = back to back.")
  double rate;

  @Option(
      names = "--wait",
      defaultValue = "park",
      description =
          "How an open loop waits for the next call's due time: park (the core idles, as a server's"
              + " does between requests) or spin (the core stays busy).")
  Wait wait;

  enum Wait {
    park,
    spin
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new InProcessBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path file = repository.resolve(model).resolve("1").resolve("model.onnx");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no " + file + " (write it with BenchModels)");
    }
    long[] shape = BenchModels.input(model, 0).shape().withFirst(batch).toArray();
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    FloatBuffer data =
        ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    Random rnd = new Random(1);
    for (int i = 0; i < n; i++) {
      data.put(i, rnd.nextFloat());
    }
    Histogram latency = new Histogram(3_600_000_000_000L, 3);
    long items = 0;
    try (OrtSession session = OrtSessions.open(file, SessionSettings.of(threads))) {
      long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
      while (System.nanoTime() < warmEnd) {
        runOnce(session, data, shape);
      }
      java.lang.management.ThreadMXBean threadsBean =
          java.lang.management.ManagementFactory.getThreadMXBean();
      long cpuStart = threadsBean.getCurrentThreadCpuTime();
      long start = System.nanoTime();
      long end = start + seconds * 1_000_000_000L;
      long t = start;
      long period = rate > 0 ? (long) (1e9 / rate) : 0;
      long due = start;
      while (t < end) {
        if (period > 0) {
          due += period;
          awaitDue(due);
          t = due;
        }
        runOnce(session, data, shape);
        long now = System.nanoTime();
        latency.recordValue(now - t);
        t = now;
        items += batch;
      }
      double elapsed = (t - start) / 1e9;
      double cpuPerItemUs = (threadsBean.getCurrentThreadCpuTime() - cpuStart) / 1e3 / items;
      System.out.println(
          String.format(
              Locale.ROOT,
              "{\"kind\":\"in-process\",\"model\":\"%s\",\"batch\":%d,\"threads\":%d,\"rate\":%.1f,\"wait\":\"%s\",\"seconds\":%.2f,"
                  + "\"items_per_s\":%.1f,\"calls_per_s\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"cpu_us_per_item\":%.2f}",
              model,
              batch,
              threads,
              rate,
              rate > 0 ? wait : "none",
              elapsed,
              items / elapsed,
              latency.getTotalCount() / elapsed,
              latency.getValueAtPercentile(50) / 1e3,
              latency.getValueAtPercentile(90) / 1e3,
              latency.getValueAtPercentile(99) / 1e3,
              cpuPerItemUs));
    }
    return 0;
  }

  private void awaitDue(long due) {
    long left;
    while ((left = due - System.nanoTime()) > 0) {
      if (wait == Wait.park) {
        LockSupport.parkNanos(left);
      } else {
        Thread.onSpinWait();
      }
    }
  }

  private static void runOnce(OrtSession session, FloatBuffer data, long[] shape) throws Exception {
    try (OnnxTensor in = OnnxTensor.createTensor(OrtSessions.environment(), data, shape);
        OrtSession.Result r = session.run(Map.of(ExampleModels.INPUT, in))) {
      // The server copies each output out of ONNX Runtime once; so does this.
      ((OnnxTensor) r.get(0)).getByteBuffer();
    }
  }
}
