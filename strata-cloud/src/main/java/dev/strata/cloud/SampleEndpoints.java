package dev.strata.cloud;

import dev.strata.api.Sample;
import dev.strata.core.StrataException;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.samples.SampleStore;
import dev.strata.serving.HttpResult;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Hard examples edges uploaded: listing, reading, deleting and exporting them. */
final class SampleEndpoints {
  private final SampleStore samples;
  private final Path tmp;

  SampleEndpoints(SampleStore samples, Path tmp) {
    this.samples = samples;
    this.tmp = tmp;
  }

  List<Endpoint> endpoints() {
    String deployment = "/api/v1/deployments/{name}";
    return List.of(
        new Endpoint(
            "GET",
            deployment + "/samples",
            Access.VIEWER,
            false,
            "A page of a deployment's samples, oldest first (?after=<id>&limit=100)",
            r ->
                Responses.items(
                    samples.list(r.param("name"), r.query("after"), limit(r.query("limit"))))),
        new Endpoint(
            "GET",
            deployment + "/samples:usage",
            Access.VIEWER,
            false,
            "How many samples a deployment holds and their bytes",
            r -> Responses.ok(samples.usage(r.param("name")))),
        new Endpoint(
            "GET",
            deployment + "/samples:export",
            Access.VIEWER,
            false,
            "Every sample as JSON Lines with its input in base64",
            r -> export(r.param("name"))),
        new Endpoint(
            "GET",
            "/api/v1/samples/{id}",
            Access.VIEWER,
            false,
            "A sample",
            r -> Responses.ok(samples.get(r.param("id")))),
        new Endpoint(
            "GET",
            "/api/v1/samples/{id}/input",
            Access.VIEWER,
            false,
            "A sample's input bytes",
            r -> {
              Sample s = samples.get(r.param("id"));
              ArtifactContent c = samples.openInput(s.id());
              return HttpResult.stream(200, s.contentType(), Map.of(), c.length(), c.stream());
            }),
        new Endpoint(
            "DELETE",
            "/api/v1/samples/{id}",
            Access.DEPLOYER,
            false,
            "Delete a sample",
            r -> {
              samples.delete(r.param("id"));
              return Responses.noContent();
            }));
  }

  private static int limit(Optional<String> text) {
    if (text.isEmpty()) {
      return 100;
    }
    try {
      return Integer.parseInt(text.get());
    } catch (NumberFormatException e) {
      throw StrataException.invalid("limit: %s (expected: 1-1000)", text.get());
    }
  }

  /**
   * Exports into a temporary file first (the export reads the database page by page), then streams
   * the file; the file is deleted when the response is done or abandoned.
   */
  private HttpResult export(String deployment) throws IOException {
    Files.createDirectories(tmp);
    Path file = Files.createTempFile(tmp, "export-", ".ndjson");
    try {
      try (OutputStream out = Files.newOutputStream(file)) {
        samples.export(deployment, out);
      }
      long size = Files.size(file);
      InputStream in =
          new FilterInputStream(Files.newInputStream(file)) {
            @Override
            public void close() throws IOException {
              try {
                super.close();
              } finally {
                Files.deleteIfExists(file);
              }
            }
          };
      return HttpResult.stream(200, "application/x-ndjson", Map.of(), size, in);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }
}
