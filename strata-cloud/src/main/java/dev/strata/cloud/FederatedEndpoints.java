package dev.strata.cloud;

import dev.strata.core.StrataException;
import dev.strata.federated.job.Evaluation;
import dev.strata.federated.job.JobCoordinator;
import dev.strata.federated.job.NodeMessages;
import dev.strata.federated.secagg.Messages;
import dev.strata.serving.HttpResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Federated learning (docs/federated.md): jobs for users ({@code /api/v1/federated/jobs}), and for
 * nodes their tasks, the models they train from and what they send back ({@code
 * /api/v1/nodes/self/federated/...}). Parameter vectors travel as little-endian float32 ({@code
 * application/octet-stream}), masked updates as little-endian int32; the secure-aggregation
 * messages as JSON. A node only reaches the jobs whose selector its labels match.
 */
final class FederatedEndpoints {
  private static final String NODE = "/api/v1/nodes/self/federated";
  private static final String ROUND = NODE + "/jobs/{job}/rounds/{round}";

  private final FederatedJobs jobs;

  FederatedEndpoints(FederatedJobs jobs) {
    this.jobs = jobs;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "POST",
            "/api/v1/federated/jobs",
            Access.DEPLOYER,
            false,
            "Start a federated job from a registered version (body: {id, variant, spec})",
            r -> {
              JobCoordinator.Status s = jobs.create(r.json(FederatedJobs.CreateRequest.class));
              return Responses.created(s, "/api/v1/federated/jobs/" + s.id());
            }),
        new Endpoint(
            "GET",
            "/api/v1/federated/jobs",
            Access.VIEWER,
            false,
            "The federated jobs and their rounds",
            r -> Responses.items(jobs.list())),
        new Endpoint(
            "GET",
            "/api/v1/federated/jobs/{job}",
            Access.VIEWER,
            false,
            "One federated job: state, rounds, and where its result was registered",
            r -> {
              String id = r.param("job");
              return Responses.ok(
                  Map.of(
                      "job",
                      jobs.job(id).status(),
                      "registered",
                      jobs.registered(id).map(m -> (Object) m).orElse(Map.of())));
            }),
        new Endpoint(
            "POST",
            "/api/v1/federated/jobs/{job}/stop",
            Access.DEPLOYER,
            false,
            "Stop a federated job (what it learnt so far is kept)",
            r -> {
              JobCoordinator j = jobs.job(r.param("job"));
              j.stop("stopped by " + r.principal().id());
              return Responses.ok(j.status());
            }),
        new Endpoint(
            "GET",
            NODE + "/task",
            Access.NODE,
            false,
            "The node's next federated task (204: none)",
            r -> jobs.task(r.node().id()).map(Responses::ok).orElseGet(Responses::noContent)),
        new Endpoint(
            "GET",
            NODE + "/jobs/{job}/model",
            Access.NODE,
            false,
            "The ONNX model a job starts from (its spec, preprocessing and parameter layout)",
            r -> {
              jobs.forNode(r.param("job"), r.node().id());
              return binary(jobs.startModel(r.param("job")));
            }),
        new Endpoint(
            "GET",
            ROUND + "/global",
            Access.NODE,
            false,
            "The global model of a round (float32 little-endian)",
            r -> binary(floats(job(r).global(round(r))))),
        new Endpoint(
            "POST",
            ROUND + "/update",
            Access.NODE,
            false,
            "A node's update (float32 little-endian; attempt, samples, train_loss and the evaluation in the query)",
            r -> {
              float[] delta = floats(body(r));
              job(r)
                  .submitUpdate(
                      r.node().id(),
                      round(r),
                      intQuery(r, "attempt"),
                      delta,
                      (long) number(r, "samples"),
                      number(r, "train_loss"),
                      new Evaluation(
                          optional(r, "eval_loss"),
                          optional(r, "eval_accuracy"),
                          (long) optional(r, "eval_samples", 0)));
              return Responses.noContent();
            }),
        new Endpoint(
            "POST",
            ROUND + "/keys",
            Access.NODE,
            false,
            "Secure aggregation: the node trained; its keys, samples and evaluation",
            r -> {
              NodeMessages.Keys k = r.json(NodeMessages.Keys.class);
              job(r)
                  .submitAdvert(
                      r.node().id(),
                      round(r),
                      k.attempt(),
                      k.advert(),
                      k.samples(),
                      k.trainLoss(),
                      k.evaluation() == null ? Evaluation.NONE : k.evaluation());
              return Responses.noContent();
            }),
        new Endpoint(
            "POST",
            ROUND + "/shares",
            Access.NODE,
            false,
            "Secure aggregation: the node's sealed shares",
            r -> {
              NodeMessages.Shares s = r.json(NodeMessages.Shares.class);
              job(r).submitShares(r.node().id(), round(r), s.attempt(), s.shares());
              return Responses.noContent();
            }),
        new Endpoint(
            "POST",
            ROUND + "/masked",
            Access.NODE,
            false,
            "Secure aggregation: the node's masked update (int32 little-endian; attempt and id in the query)",
            r -> {
              int[] masked = ints(body(r));
              job(r)
                  .submitMasked(
                      r.node().id(),
                      round(r),
                      intQuery(r, "attempt"),
                      new Messages.MaskedInput(intQuery(r, "id"), masked));
              return Responses.noContent();
            }),
        new Endpoint(
            "POST",
            ROUND + "/unmask",
            Access.NODE,
            false,
            "Secure aggregation: the node's answer to the unmasking request",
            r -> {
              NodeMessages.Unmask u = r.json(NodeMessages.Unmask.class);
              job(r).submitUnmask(r.node().id(), round(r), u.attempt(), u.response());
              return Responses.noContent();
            }));
  }

  /** The body of a binary endpoint; 400 for any other content type (e.g. JSON sent by mistake). */
  private static byte[] body(ApiRequest r) {
    String type = r.header("Content-Type").orElse("");
    if (!type.toLowerCase(java.util.Locale.ROOT).startsWith(HttpResult.OCTET_STREAM)) {
      throw StrataException.invalid(
          "Content-Type: '%s' (expected: %s, little-endian values)", type, HttpResult.OCTET_STREAM);
    }
    return r.bytes();
  }

  private JobCoordinator job(ApiRequest r) {
    return jobs.forNode(r.param("job"), r.node().id());
  }

  private static int round(ApiRequest r) {
    return Math.toIntExact(r.longParam("round"));
  }

  private static int intQuery(ApiRequest r, String name) {
    double v = number(r, name);
    if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
      throw StrataException.invalid("%s: %s (expected: an integer)", name, v);
    }
    return (int) v;
  }

  private static double number(ApiRequest r, String name) {
    String v =
        r.query(name)
            .orElseThrow(() -> StrataException.invalid("query parameter %s: missing", name));
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw StrataException.invalid("query parameter %s: '%s' (expected: a number)", name, v);
    }
  }

  private static double optional(ApiRequest r, String name) {
    return optional(r, name, Double.NaN);
  }

  private static double optional(ApiRequest r, String name, double absent) {
    Optional<String> v = r.query(name);
    return v.isEmpty() ? absent : number(r, name);
  }

  private static HttpResult binary(byte[] bytes) {
    return new HttpResult(200, HttpResult.OCTET_STREAM, Map.of(), List.of(ByteBuffer.wrap(bytes)));
  }

  static byte[] floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  static float[] floats(byte[] bytes) {
    if (bytes.length % 4 != 0) {
      throw StrataException.invalid(
          "body: %d bytes (expected: float32 values, a multiple of 4)", bytes.length);
    }
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  static int[] ints(byte[] bytes) {
    if (bytes.length % 4 != 0) {
      throw StrataException.invalid(
          "body: %d bytes (expected: int32 values, a multiple of 4)", bytes.length);
    }
    int[] out = new int[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
    return out;
  }
}
