package dev.strata.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.control.SampleUpload;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.StrataException;
import dev.strata.protocol.rest.EncodedBody;
import dev.strata.protocol.rest.ResponseFormat;
import dev.strata.protocol.rest.RestCodec;
import dev.strata.runtime.install.Backoff;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads hard examples (inputs the cascade escalated and the cloud answered) to the cloud's sample
 * store, for deployments that opted in. Escalations wait in a bounded queue and are dropped, and
 * counted, when it is full; the input is encoded as the Open Inference Protocol's JSON request
 * ({@code application/json}) and skipped, and counted, when over the deployment's {@code
 * maxSampleBytes}. A sample the cloud cannot take now is retried a few times, then dropped: hard
 * examples are best effort and never slow inference down.
 */
final class HardExampleUploader implements InferenceListener, AutoCloseable {
  /** Where samples go. */
  @FunctionalInterface
  interface Sink {
    void upload(SampleUpload upload, byte[] input);
  }

  private static final Logger LOG = LoggerFactory.getLogger(HardExampleUploader.class);
  private static final int MAX_ANSWER_BYTES = 64 * 1024;
  private static final int ATTEMPTS = 3;

  private record Pending(
      EdgeDeployment deployment,
      InferenceRequest request,
      InferenceResponse edge,
      InferenceResponse cloud) {}

  private final BlockingQueue<Pending> queue;
  private final Sink sink;
  private final Backoff backoff;
  private final RestCodec codec = new RestCodec();
  private final Thread worker;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final AtomicLong uploaded = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong tooLarge = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  HardExampleUploader(int capacity, Sink sink, Backoff backoff) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sink = sink;
    this.backoff = backoff;
    this.worker = Thread.ofPlatform().name("strata-edge-samples").daemon(true).unstarted(this::run);
    worker.start();
  }

  @Override
  public void escalated(
      EdgeDeployment deployment,
      InferenceRequest request,
      InferenceResponse edgeAnswer,
      InferenceResponse cloudAnswer) {
    if (!deployment.hardExamples().enabled()) {
      return;
    }
    if (!queue.offer(new Pending(deployment, request, edgeAnswer, cloudAnswer))) {
      dropped.incrementAndGet();
    }
  }

  /** Counts since start: uploaded, dropped (queue full), tooLarge, failed (cloud refused). */
  Map<String, Long> counts() {
    return Map.of(
        "uploaded", uploaded.get(),
        "dropped", dropped.get(),
        "tooLarge", tooLarge.get(),
        "failed", failed.get(),
        "queued", (long) queue.size());
  }

  private void run() {
    while (closing.getCount() > 0) {
      Pending p;
      try {
        p = queue.poll(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (p != null) {
        try {
          send(p);
        } catch (RuntimeException e) {
          failed.incrementAndGet();
          LOG.warn(
              "cannot upload a hard example of {}: {}", p.deployment.deployment(), e.toString());
        }
      }
    }
  }

  private void send(Pending p) {
    byte[] input = encodeInput(p.request);
    if (input.length > p.deployment.hardExamples().maxSampleBytes()) {
      tooLarge.incrementAndGet();
      return;
    }
    SampleUpload upload =
        new SampleUpload(
            p.deployment.deployment(), "application/json", answer(p.edge), answer(p.cloud));
    for (int attempt = 1; ; attempt++) {
      try {
        sink.upload(upload, input);
        uploaded.incrementAndGet();
        backoff.reset();
        return;
      } catch (StrataException e) {
        boolean retry =
            (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.DEADLINE_EXCEEDED)
                && attempt < ATTEMPTS;
        if (!retry) {
          failed.incrementAndGet();
          LOG.debug(
              "hard example of {} not uploaded: {}", p.deployment.deployment(), e.getMessage());
          return;
        }
        if (waitFor(backoff.next())) {
          return;
        }
      }
    }
  }

  /** Waits; true when closing. */
  private boolean waitFor(Duration d) {
    try {
      return closing.await(d.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private byte[] encodeInput(InferenceRequest r) {
    InferenceRequest inputsOnly =
        new InferenceRequest(
            r.model(), r.version(), r.id(), r.inputs(), List.of(), Map.of(), Optional.empty());
    return codec.encodeInferRequest(inputsOnly, false, false).toByteArray();
  }

  /** The answer as the protocol's JSON response, or a summary of it when it is large. */
  private JsonNode answer(InferenceResponse r) {
    EncodedBody body = codec.encodeInfer(r, ResponseFormat.JSON);
    ByteBuffer json = body.json();
    if (json.remaining() <= MAX_ANSWER_BYTES && body.binary().isEmpty()) {
      byte[] bytes = new byte[json.remaining()];
      json.get(bytes);
      try {
        return Json.mapper().readTree(bytes);
      } catch (IOException e) {
        // fall through to the summary
      }
    }
    ObjectNode summary = Json.mapper().createObjectNode();
    summary.put("model_name", r.model());
    summary.put("model_version", r.version());
    summary.put("truncated", true);
    summary.set("parameters", Json.mapper().valueToTree(r.parameters()));
    return summary;
  }

  @Override
  public void close() {
    closing.countDown();
    worker.interrupt();
    try {
      worker.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
