package dev.strata.cloud;

import dev.strata.api.TelemetryQuery;
import dev.strata.api.TelemetryWindow;
import dev.strata.core.StrataException;
import dev.strata.registry.telemetry.TelemetryService;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The telemetry edge nodes reported: a node's interval records, and a deployment's aggregate over a
 * window (default: the last hour) per node and in total.
 */
final class TelemetryEndpoints {
  private final TelemetryService telemetry;

  TelemetryEndpoints(TelemetryService telemetry) {
    this.telemetry = telemetry;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "GET",
            "/api/v1/nodes/{id}/telemetry",
            Access.VIEWER,
            false,
            "A node's telemetry records, oldest first (?from=&to=&deployment=&limit=)",
            r -> {
              TelemetryQuery q =
                  new TelemetryQuery(window(r), query(r, "deployment"), limit(query(r, "limit")));
              return Responses.items(telemetry.records(r.param("id"), q));
            }),
        new Endpoint(
            "GET",
            "/api/v1/deployments/{name}/telemetry",
            Access.VIEWER,
            false,
            "A deployment's telemetry per node and in total (?from=&to=, default the last hour)",
            r -> Responses.ok(telemetry.deployment(r.param("name"), window(r)))));
  }

  private static TelemetryWindow window(ApiRequest r) {
    return new TelemetryWindow(instant(r, "from"), instant(r, "to"));
  }

  private static Optional<Instant> instant(ApiRequest r, String name) {
    Optional<String> text = query(r, name);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text.get()));
    } catch (DateTimeParseException e) {
      throw StrataException.invalid(
          "%s: %s (expected: an ISO-8601 instant such as 2026-11-23T13:00:00Z)", name, text.get());
    }
  }

  /** A query parameter; given empty ({@code ?from=}) it counts as left out. */
  private static Optional<String> query(ApiRequest r, String name) {
    return r.query(name).filter(v -> !v.isEmpty());
  }

  private static int limit(Optional<String> text) {
    if (text.isEmpty()) {
      return TelemetryQuery.DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(text.get());
      if (n >= 1 && n <= TelemetryQuery.MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw StrataException.invalid(
        "limit: %s (expected: 1-%d)", text.get(), TelemetryQuery.MAX_LIMIT);
  }
}
