package dev.strata.bench.fleet;

import dev.strata.control.DeploymentCounters;
import dev.strata.control.Health;
import dev.strata.control.Heartbeat;
import dev.strata.control.LoadState;
import dev.strata.control.LoadedModel;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;

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

  Heartbeat heartbeat() {
    requests += 120;
    String e = etag;
    return new Heartbeat(
        "0.1.0-sim",
        Health.HEALTHY,
        List.of(
            new LoadedModel(
                Optional.of("fleet-bench"),
                1,
                "fleet-bench-model",
                1,
                "int8",
                LoadState.READY,
                Optional.empty())),
        1,
        12.5,
        268435456L,
        1073741824L,
        Map.of("fleet-bench", new DeploymentCounters(1, requests, 0, requests / 30)),
        e.isEmpty() ? Optional.empty() : Optional.of(e),
        List.of());
  }

  void heartbeat(OpStats beats, OpStats polls, long due) {
    acquire();
    long sent = System.nanoTime();
    if (sent - due > 10_000_000L) {
      beats.late();
    }
    cloud
        .heartbeat(credential, heartbeat())
        .whenComplete(
            (r, failure) -> {
              long done = System.nanoTime();
              inFlight.release();
              if (failure != null) {
                beats.error(why(failure));
                return;
              }
              beats.record(due, done);
              String current = r.desiredStateEtag();
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
            (state, failure) -> {
              long done = System.nanoTime();
              inFlight.release();
              if (failure != null) {
                polls.error(why(failure));
                return;
              }
              polls.record(due, done);
              state.ifPresent(s -> etag = s.etag());
            });
  }

  /** The client's error (code and the cloud's message), not its CompletionException wrapper. */
  static String why(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause.toString();
  }
}
