package dev.strata.bench.serving;

import dev.strata.core.AtomicFiles;
import dev.strata.core.InferenceRequest;
import dev.strata.protocol.grpc.GrpcConverters;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes a benchmark model's repository and one gRPC {@code ModelInfer} request for it, framed as
 * on the wire (a 5-byte gRPC message prefix, then the protobuf, tensors in {@code
 * raw_input_contents}), so that an HTTP/2 load generator outside the JVM such as h2load can post it
 * unchanged: the gRPC counterpart of {@link WrkLoad}'s body (docs/benchmarks.md, "gRPC with a load
 * generator outside the JVM").
 */
@Command(
    name = "grpc-request-file",
    mixinStandardHelpOptions = true,
    description = "Writes DIR/repo (the model) and DIR/MODEL.grpc (one framed ModelInfer request).")
public final class GrpcRequestFile implements Callable<Integer> {
  @Option(names = "--dir", required = true)
  Path dir;

  @Option(names = "--model", defaultValue = "small", description = "small or resnet.")
  String model;

  public static void main(String[] args) {
    System.exit(new CommandLine(new GrpcRequestFile()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    BenchModels.write(dir.resolve("repo"), model);
    InferenceRequest request = BenchModels.request(model);
    Files.createDirectories(dir);
    AtomicFiles.write(dir.resolve(model + ".grpc"), framed(request));
    System.out.println(dir.resolve(model + ".grpc"));
    return 0;
  }

  /** The request as one gRPC message on the wire: not compressed, its length, the protobuf. */
  static byte[] framed(InferenceRequest request) {
    byte[] message = GrpcConverters.modelInferRequest(request, true).toByteArray();
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }
}
