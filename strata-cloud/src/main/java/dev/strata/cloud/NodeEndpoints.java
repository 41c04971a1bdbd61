package dev.strata.cloud;

import dev.strata.api.Sample;
import dev.strata.control.DesiredState;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.SampleUpload;
import dev.strata.registry.NodeApi;
import dev.strata.serving.HttpResult;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What edge nodes call: enrollment (public: the one-time token is in the body), then with their
 * node credential heartbeats, desired-state polls ({@code ETag} / {@code If-None-Match} → 304) and
 * hard-example uploads. Artifact downloads are in {@link ArtifactEndpoints}.
 */
final class NodeEndpoints {
  private final NodeApi nodes;

  NodeEndpoints(NodeApi nodes) {
    this.nodes = nodes;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "POST",
            "/api/v1/nodes/enroll",
            Access.PUBLIC,
            false,
            "Enroll with a one-time token; returns the node credential (shown once)",
            r -> {
              Enrollment e = nodes.enroll(r.json(EnrollRequest.class));
              return Responses.created(e, "/api/v1/nodes/" + e.nodeId());
            }),
        new Endpoint(
            "POST",
            "/api/v1/nodes/self/heartbeat",
            Access.NODE,
            false,
            "Report the node's state; returns the desired state's ETag",
            r -> Responses.ok(nodes.heartbeat(r.node(), r.json(Heartbeat.class)))),
        new Endpoint(
            "GET",
            "/api/v1/nodes/self/desired-state",
            Access.NODE,
            false,
            "What the node should run (304 while If-None-Match still holds)",
            this::desiredState),
        new Endpoint(
            "POST",
            "/api/v1/nodes/self/samples",
            Access.NODE,
            false,
            "Upload a hard example (multipart: metadata JSON + input bytes)",
            this::uploadSample));
  }

  private HttpResult desiredState(ApiRequest r) {
    DesiredState state = nodes.desiredState(r.node(), Optional.empty()).orElseThrow();
    String etag = "\"" + state.etag() + "\"";
    if (ETags.matches(r.header("If-None-Match"), state.etag())) {
      return new HttpResult(304, HttpResult.JSON, Map.of("ETag", etag), List.of());
    }
    return Responses.withHeaders(Responses.ok(state), Map.of("ETag", etag));
  }

  private HttpResult uploadSample(ApiRequest r) {
    Multipart form =
        Multipart.parse(r.header("Content-Type"), r.bytes(), List.of("metadata", "input"));
    SampleUpload upload = ApiRequest.parse(form.part("metadata"), SampleUpload.class);
    Sample s = nodes.uploadSample(r.node(), upload, new ByteArrayInputStream(form.part("input")));
    return Responses.created(s, "/api/v1/samples/" + s.id());
  }
}
