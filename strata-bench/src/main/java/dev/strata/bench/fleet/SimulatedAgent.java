package dev.strata.bench.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;

/**
 * One simulated edge agent: no model, no threads of its own, only the control-plane traffic a real
 * agent makes — a heartbeat every interval and a conditional desired-state poll (If-None-Match, so
 * mostly 304) half an interval later; a changed ETag in a heartbeat answer is fetched at once.
 */
final class SimulatedAgent {
  private final ControlPlane cloud;
  private final java.util.concurrent.Semaphore inFlight;
  private final java.util.concurrent.Executor followUps;
  private final String name;
  private String credential;
  private volatile String etag = "";
  private volatile long requests;

  /**
   * @param followUps where a poll prompted by an answer is sent from: never the HTTP client's own
   *     threads, which must stay free to complete the requests holding the in-flight slots
   */
  SimulatedAgent(
      ControlPlane cloud,
      java.util.concurrent.Semaphore inFlight,
      java.util.concurrent.Executor followUps,
      String name) {
    this.cloud = cloud;
    this.inFlight = inFlight;
    this.followUps = followUps;
    this.name = name;
  }

  /**
   * Waits for a slot among the simulator's in-flight requests: waiting counts in the latency (it is
   * measured from when the request was due), so the bound keeps the simulator's memory flat without
   * hiding a slow cloud.
   */
  private void acquire() {
    inFlight.acquireUninterruptibly();
  }

  String name() {
    return name;
  }

  void enrolled(String credential, String etag) {
    this.credential = credential;
    this.etag = etag;
  }

  String heartbeatJson() {
    requests += 120;
    return "{\"agentVersion\":\"0.1.0-sim\",\"health\":\"HEALTHY\",\"models\":[{\"deployment\":"
        + "\"fleet-bench\",\"revision\":1,\"model\":\"fleet-bench-model\",\"version\":1,"
        + "\"variant\":\"int8\",\"state\":\"READY\",\"error\":null}],\"queueDepth\":1,"
        + "\"cpuPercent\":12.5,\"memoryUsedBytes\":268435456,\"memoryTotalBytes\":1073741824,"
        + "\"deployments\":{\"fleet-bench\":{\"revision\":1,\"requests\":"
        + requests
        + ",\"errors\":0,\"escalations\":"
        + requests / 30
        + "}},\"desiredStateEtag\":\""
        + etag
        + "\"}";
  }

  void heartbeat(OpStats beats, OpStats polls, long due) {
    acquire();
    long sent = System.nanoTime();
    if (sent - due > 10_000_000L) {
      beats.late();
    }
    cloud
        .heartbeat(credential, heartbeatJson())
        .whenComplete(
            (r, failure) -> {
              long done = System.nanoTime();
              inFlight.release();
              if (failure != null || r.statusCode() != 200) {
                beats.error(failure != null ? failure.toString() : r.statusCode() + " " + r.body());
                return;
              }
              beats.record(due, done);
              String current = field(r, "desiredStateEtag");
              if (!current.isEmpty() && !current.equals(etag)) {
                followUps.execute(() -> poll(polls, done));
              }
            });
  }

  void poll(OpStats polls, long due) {
    acquire();
    long sent = System.nanoTime();
    if (sent - due > 10_000_000L) {
      polls.late();
    }
    cloud
        .desiredState(credential, etag)
        .whenComplete(
            (r, failure) -> {
              long done = System.nanoTime();
              inFlight.release();
              if (failure != null || (r.statusCode() != 200 && r.statusCode() != 304)) {
                polls.error(failure != null ? failure.toString() : r.statusCode() + " " + r.body());
                return;
              }
              polls.record(due, done);
              if (r.statusCode() == 200) {
                etag = field(r, "etag");
              }
            });
  }

  static String field(HttpResponse<String> r, String name) {
    try {
      JsonNode n = ControlPlane.JSON.readTree(r.body()).get(name);
      return n == null || n.isNull() ? "" : n.asText();
    } catch (IOException e) {
      return "";
    }
  }
}
