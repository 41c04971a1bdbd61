package dev.strata.federated.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.federated.sim.Chart;
import dev.strata.federated.sim.RoundResult;
import dev.strata.train.eval.TrainJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata federated chart}: the curves of several simulations in one page. */
@Command(
    name = "chart",
    mixinStandardHelpOptions = true,
    description =
        "Draw the test-accuracy curves of several simulations (their rounds.json) in one HTML page.")
public final class ChartCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "ROUNDS_JSON",
      description = "rounds.json files of 'strata federated simulate'.")
  List<Path> runs;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "The HTML page to write.")
  Path out;

  @Option(
      names = "--title",
      defaultValue = "Federated simulations",
      description = "Title (default: ${DEFAULT-VALUE}).")
  String title;

  @Override
  public Integer call() throws Exception {
    Map<String, List<RoundResult>> curves = new LinkedHashMap<>();
    for (Path p : runs) {
      if (!Files.isRegularFile(p)) {
        throw StrataException.invalid(
            "%s: no such file (expected: a rounds.json of 'strata federated simulate')", p);
      }
      JsonNode doc = TrainJson.mapper().readTree(p.toFile());
      if (!doc.has("rounds") || !doc.has("name")) {
        throw StrataException.invalid("%s: not a rounds.json (expected: 'name' and 'rounds')", p);
      }
      List<RoundResult> rs = new ArrayList<>();
      for (JsonNode r : doc.get("rounds")) {
        rs.add(TrainJson.mapper().treeToValue(r, RoundResult.class));
      }
      String name = doc.get("name").asText();
      while (curves.containsKey(name)) {
        name = name + "'";
      }
      curves.put(name, rs);
    }
    AtomicFiles.write(out, Chart.html(title, curves).getBytes(StandardCharsets.UTF_8));
    System.out.println(out);
    return 0;
  }
}
