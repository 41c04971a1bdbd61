package dev.strata.compress.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.core.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The end of every compress command: the report written (when asked), then the measured result
 * refused (exit 3, nothing written), or moved into place and, with --publish, registered.
 */
final class Delivery {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Delivery() {}

  /** Marks the report refused when the accuracy drop exceeds the limit; true when it does. */
  static boolean refuseOnDrop(ObjectNode report, double drop, Double maxDrop) {
    if (maxDrop == null || drop <= maxDrop) {
      return false;
    }
    report.put(
        "refused",
        String.format(
            Locale.ROOT,
            "accuracy drops %.2f points, more than --max-accuracy-drop %s",
            drop,
            maxDrop));
    return true;
  }

  /** Writes the report, then refuses or delivers {@code tmp} as {@code out}; the exit code. */
  static int deliver(
      PrintWriter w,
      ObjectNode report,
      Path json,
      Path tmp,
      Path out,
      PublishOptions.Publisher publisher,
      Map<String, Double> metrics,
      Map<String, String> provenance)
      throws IOException {
    if (json != null) {
      AtomicFiles.write(json, JSON.writeValueAsBytes(report));
    }
    if (report.has("refused")) {
      w.printf("not written: %s%n", report.get("refused").asText());
      return 3;
    }
    AtomicFiles.moveIntoPlace(tmp, out);
    w.printf("wrote %s%n", out);
    if (publisher != null) {
      publisher.publish(w, out, metrics, provenance);
    }
    return 0;
  }
}
