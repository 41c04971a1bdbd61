package dev.strata.protocol.client;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.core.testing.SampleStatistics;
import dev.strata.protocol.OipNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * The canned server behind the fake REST and gRPC servers: model "echo" returns its inputs named
 * "{name}_out", model "slow" waits until released, anything else is NOT_FOUND.
 */
final class FakeModels {
  final ConcurrentLinkedQueue<String> calls = new ConcurrentLinkedQueue<>();
  final CountDownLatch releaseSlow = new CountDownLatch(1);

  ServerMetadata serverMetadata() {
    return new ServerMetadata("fake", "9.9", OipNames.EXTENSIONS);
  }

  ModelMetadata modelMetadata(String model, Optional<String> version) {
    known(model);
    return new ModelMetadata(
        model,
        List.of("1"),
        "onnxruntime_onnx",
        List.of(new TensorSpec("x", DataType.FP32, Shape.of(-1, 4))),
        List.of(new TensorSpec("x_out", DataType.FP32, Shape.of(-1, 4))),
        Map.of());
  }

  boolean modelReady(String model) {
    return model.equals("echo");
  }

  InferenceResponse infer(InferenceRequest request) {
    calls.add("infer " + request.model());
    if (request.model().equals("slow")) {
      try {
        releaseSlow.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw StrataException.unavailable("released");
    }
    known(request.model());
    List<Tensor> outputs = new ArrayList<>();
    for (Tensor t : request.inputs()) {
      outputs.add(t.withName(t.name() + "_out"));
    }
    return new InferenceResponse(
        request.model(), request.version().orElse("1"), request.id(), outputs, Map.of());
  }

  List<ModelStatistics> statistics(Optional<String> model) {
    model.ifPresent(this::known);
    return List.of(SampleStatistics.everyFieldSet());
  }

  List<RepositoryEntry> index(boolean readyOnly) {
    calls.add("index " + readyOnly);
    return List.of(new RepositoryEntry("echo", "1", "READY", ""));
  }

  void load(String model) {
    calls.add("load " + model);
    known(model);
  }

  void unload(String model) {
    calls.add("unload " + model);
    known(model);
  }

  private void known(String model) {
    if (!model.equals("echo")) {
      if (model.equals("full")) {
        throw new StrataException(ErrorCode.RESOURCE_EXHAUSTED, "queue of 'full' is full");
      }
      throw StrataException.notFound("model '%s': not found", model);
    }
  }
}
