package dev.strata.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import dev.strata.edge.calibrate.PromptSet;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The demo's language-model step: held-out prompts streamed ({@code stream: true}) through the
 * edges' {@code /v1/completions} under the cascade, through the same edges with {@code "strata":
 * {"policy": "edge-only"}}, and to the cloud's {@code /v1} directly; each answer's quality against
 * its reference (word accuracy over {@value #WORDS} words, greedy), who served it, and the time to
 * its first token as the client sees it.
 */
final class LanguageModelStep {
  static final int WORDS = 4;
  static final int MAX_TOKENS = 4 * WORDS + 4;

  /** One path's figures. */
  record Row(String path, int prompts, double quality, double cloudShare, double ttftMedianMs) {}

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The three paths over {@code prompts}, the edges taking turns. */
  List<Row> run(List<URI> edges, URI cloud, String edgeModel, String cloudModel, PromptSet prompts)
      throws IOException, InterruptedException {
    int n = prompts.size();
    double[][] quality = new double[3][n];
    double[][] ttft = new double[3][n];
    int[] cloudCalls = new int[3];
    for (int i = 0; i < n; i++) {
      PromptSet.Prompt p = prompts.prompts().get(i);
      URI edge = edges.get(i % edges.size());
      Answer[] answers = {
        complete(edge, edgeModel, p.prompt(), true),
        complete(cloud, cloudModel, p.prompt(), false),
        complete(edge, edgeModel, p.prompt(), false)
      };
      for (int k = 0; k < 3; k++) {
        quality[k][i] = PromptSet.quality(answers[k].text, p.reference(), WORDS, false);
        ttft[k][i] = answers[k].ttftMs;
        if (k == 1 || answers[k].servedBy.equals("cloud")) {
          cloudCalls[k]++;
        }
      }
    }
    String[] names = {"edge only", "cloud only", "cascade"};
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      rows.add(
          new Row(
              names[k],
              n,
              Arrays.stream(quality[k]).average().orElse(0),
              (double) cloudCalls[k] / n,
              median(ttft[k])));
    }
    return rows;
  }

  private record Answer(String text, String servedBy, double ttftMs) {}

  /** One streamed completion; the cloud is asked directly when {@code edgeOnly} is false. */
  private Answer complete(URI base, String model, String prompt, boolean edgeOnly)
      throws IOException, InterruptedException {
    ObjectNode body = Json.mapper().createObjectNode();
    body.put("model", model);
    body.put("prompt", prompt);
    body.put("max_tokens", MAX_TOKENS);
    body.put("temperature", 0);
    body.put("seed", 1);
    body.put("stream", true);
    if (edgeOnly) {
      body.putObject("strata").put("policy", "edge-only");
    }
    long start = System.nanoTime();
    HttpResponse<Stream<String>> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("/v1/completions"))
                .timeout(Demo.REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    StringBuilder text = new StringBuilder();
    String servedBy = "";
    double ttft = Double.NaN;
    try (Stream<String> lines = r.body()) {
      if (r.statusCode() != 200) {
        throw new StrataException(
            dev.strata.core.ErrorCode.UNAVAILABLE,
            base + " answered " + r.statusCode() + ": " + String.join(" ", lines.toList()));
      }
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
          continue;
        }
        JsonNode chunk = Json.mapper().readTree(line.substring(6));
        if (chunk.has("strata")) {
          servedBy = chunk.get("strata").path("served_by").asText();
        }
        String piece = chunk.path("choices").path(0).path("text").asText("");
        if (!piece.isEmpty() && Double.isNaN(ttft)) {
          ttft = (System.nanoTime() - start) / 1e6;
        }
        text.append(piece);
      }
    }
    if (Double.isNaN(ttft)) {
      ttft = (System.nanoTime() - start) / 1e6;
    }
    return new Answer(text.toString(), servedBy, ttft);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length == 0 ? 0 : s[s.length / 2];
  }

  /** The table printed beside the classifier's. */
  static String table(List<Row> rows, String edgeModel, String cloudModel) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%-12s %-32s %12s %12s %16s%n",
            "path",
            "answered by",
            "word acc.",
            "cloud calls",
            "median TTFT"));
    for (Row r : rows) {
      String by =
          switch (r.path()) {
            case "edge only" -> edgeModel;
            case "cloud only" -> cloudModel;
            default -> edgeModel + ", else " + cloudModel;
          };
      sb.append(
          String.format(
              Locale.ROOT,
              "%-12s %-32s %11.2f%% %11.1f%% %13.1f ms%n",
              r.path(),
              by,
              r.quality() * 100,
              r.cloudShare() * 100,
              r.ttftMedianMs()));
    }
    return sb.toString();
  }
}
