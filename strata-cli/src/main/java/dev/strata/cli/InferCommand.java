package dev.strata.cli;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import dev.strata.protocol.rest.RestCodec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata infer}: one inference request from a file. */
@Command(
    name = "infer",
    // --version names the model version here (as Triton's clients do), so no standard --version.
    mixinStandardHelpOptions = false,
    description = {
      "Send one inference request and print the outputs (or the top-k classes).",
      "--input takes: an Open Inference Protocol request body (.json); a NumPy array (.npy) for"
          + " the",
      "model's single input; or an image (.png, .jpg, .jpeg, .bmp, .gif) sent as raw bytes, which"
          + " the",
      "server turns into a tensor with the model's own preprocessing."
    })
final class InferCommand implements Callable<Integer> {
  @Mixin ClientOptions client;

  @Option(names = "--model", required = true, description = "The model to run.")
  String model;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = {"--version", "--model-version"},
      description = "The model version (default: the newest ready one).")
  String version;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE",
      description = "The input file (.json, .npy or an image).")
  Path input;

  @Option(
      names = "--input-name",
      description = "The input to feed a .npy array or image to (default: the model's only input).")
  String inputName;

  @Option(names = "--output", description = "Outputs to return (default: all). Repeatable.")
  List<String> outputs = new ArrayList<>();

  @Option(
      names = "--top-k",
      defaultValue = "0",
      description = "Print the top K classes of each output instead of the raw values.")
  int topK;

  @Option(
      names = "--json",
      description = "Send and receive tensors as JSON instead of binary data (REST only).")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("--input: " + input + " is not a file");
    }
    if (topK < 0) {
      throw new IllegalArgumentException("--top-k: " + topK + " (expected: >= 0)");
    }
    Optional<String> v = Optional.ofNullable(version);
    try (StrataClient c = client.connect()) {
      InferenceRequest request = request(c, v, Files.readAllBytes(input));
      InferenceResponse response = c.infer(request, json ? InferOptions.JSON : InferOptions.BINARY);
      print(spec.commandLine().getOut(), response);
    }
    return 0;
  }

  private InferenceRequest request(StrataClient c, Optional<String> v, byte[] bytes) {
    String file = input.getFileName().toString().toLowerCase(Locale.ROOT);
    if (file.endsWith(".json")) {
      InferenceRequest fromFile =
          new RestCodec()
              .decodeInfer(model, v, bytes, 0, bytes.length, OptionalInt.empty())
              .request();
      return withOutputs(fromFile, fromFile.inputs());
    }
    ModelMetadata metadata = c.modelMetadata(model, v);
    TensorSpec spec = inputSpec(metadata);
    Tensor tensor;
    if (file.endsWith(".npy")) {
      tensor = NpyReader.read(spec.name(), input.toString(), bytes);
      // Metadata shows a batching model's batch dimension as -1: an array without it is one row.
      if (tensor.shape().rank() + 1 == spec.shape().rank() && spec.shape().dim(0) == -1) {
        tensor = tensor.withShape(tensor.shape().prepend(1));
      }
    } else if (file.matches(".*\\.(png|jpg|jpeg|bmp|gif)$")) {
      tensor = Tensor.ofBytes(spec.name(), Shape.of(1, 1), List.of(bytes));
    } else {
      throw new IllegalArgumentException(
          "--input: " + input + " (expected a .json request, a .npy array or an image file)");
    }
    return withOutputs(
        new InferenceRequest(model, v, "", List.of(tensor), List.of(), Map.of(), Optional.empty()),
        List.of(tensor));
  }

  private InferenceRequest withOutputs(InferenceRequest base, List<Tensor> inputs) {
    List<OutputRequest> requested = new ArrayList<>(base.outputs());
    if (!outputs.isEmpty() || topK > 0) {
      requested.clear();
      for (String name : outputs.isEmpty() ? outputNames(base) : outputs) {
        requested.add(new OutputRequest(name, topK, Map.of()));
      }
    }
    return new InferenceRequest(
        base.model(),
        base.version(),
        base.id(),
        inputs,
        requested,
        base.parameters(),
        base.timeout());
  }

  private List<String> outputNames(InferenceRequest base) {
    try (StrataClient c = client.connect()) {
      return c.modelMetadata(model, base.version()).outputs().stream()
          .map(TensorSpec::name)
          .toList();
    }
  }

  private TensorSpec inputSpec(ModelMetadata metadata) {
    if (inputName != null) {
      return metadata.inputs().stream()
          .filter(s -> s.name().equals(inputName))
          .findFirst()
          .orElseThrow(
              () ->
                  StrataException.invalid(
                      "--input-name: model '%s' has no input '%s' (inputs: %s)",
                      model, inputName, metadata.inputs().stream().map(TensorSpec::name).toList()));
    }
    if (metadata.inputs().size() != 1) {
      throw StrataException.invalid(
          "model '%s' has %d inputs %s: name one with --input-name, or send a .json request",
          model,
          metadata.inputs().size(),
          metadata.inputs().stream().map(TensorSpec::name).toList());
    }
    return metadata.inputs().getFirst();
  }

  static void print(PrintWriter out, InferenceResponse response) {
    out.printf("model %s version %s%n", response.model(), response.version());
    for (Tensor t : response.outputs()) {
      out.printf("%s %s%s%n", t.name(), t.datatype(), t.shape());
      if (t.datatype() == dev.strata.core.DataType.BYTES) {
        for (String s : t.strings()) {
          out.println("  " + s);
        }
      } else {
        double[] values = t.asDoubles();
        StringBuilder sb = new StringBuilder("  [");
        int shown = Math.min(values.length, 32);
        for (int i = 0; i < shown; i++) {
          sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6g", values[i]));
        }
        sb.append(values.length > shown ? ", ... (" + values.length + " values)]" : "]");
        out.println(sb);
      }
    }
    out.flush();
  }
}
