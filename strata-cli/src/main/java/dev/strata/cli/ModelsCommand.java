package dev.strata.cli;

import dev.strata.core.ModelMetadata;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import dev.strata.protocol.client.StrataClient;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code strata models}: what a server has, with each ready model's signature. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "List a server's models and versions, their state, inputs and outputs.")
final class ModelsCommand implements Callable<Integer> {
  @Mixin ClientOptions client;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (StrataClient c = client.connect()) {
      java.util.List<RepositoryEntry> index = c.repositoryIndex();
      out.printf("%-24s %-8s %-12s %s%n", "MODEL", "VERSION", "STATE", "INPUTS -> OUTPUTS");
      for (RepositoryEntry e : index) {
        String signature = e.reason();
        if (e.state().equals("READY")) {
          // A ready model's reason is a note, e.g. why its derived batching was turned off.
          signature = signature(c, e) + (e.reason().isEmpty() ? "" : " (" + e.reason() + ")");
        }
        out.printf("%-24s %-8s %-12s %s%n", e.name(), e.version(), e.state(), signature);
      }
    }
    out.flush();
    return 0;
  }

  private static String signature(StrataClient c, RepositoryEntry e) {
    try {
      ModelMetadata m =
          c.modelMetadata(
              e.name(), e.version().isEmpty() ? Optional.empty() : Optional.of(e.version()));
      return specs(m.inputs()) + " -> " + specs(m.outputs());
    } catch (StrataException ex) {
      return "(" + ex.getMessage() + ")";
    }
  }

  private static String specs(java.util.List<TensorSpec> specs) {
    StringBuilder sb = new StringBuilder();
    for (TensorSpec s : specs) {
      sb.append(sb.isEmpty() ? "" : ", ")
          .append(s.name())
          .append(':')
          .append(s.datatype())
          .append(s.shape());
    }
    return sb.toString();
  }
}
