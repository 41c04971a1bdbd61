/**
 * The Open Inference Protocol over gRPC. The messages and {@code GRPCInferenceServiceGrpc} are
 * generated at build time from {@code src/main/proto/grpc_predict_v2.proto} (package {@code
 * inference}, wire-compatible with KServe's and Triton's protos). {@link
 * dev.strata.protocol.grpc.GrpcConverters} converts them to and from the core types; {@link
 * dev.strata.protocol.grpc.GrpcStatus} maps error codes to gRPC status codes and back.
 */
package dev.strata.protocol.grpc;
