/**
 * The Open Inference Protocol (KServe "V2" predict protocol) on the wire, with the Triton
 * extensions Strata implements (binary tensor data, classification, statistics, model repository).
 *
 * <ul>
 *   <li>{@code dev.strata.protocol.rest}: the HTTP/REST JSON codec and the binary tensor data
 *       extension, transport-agnostic (no Netty types), Jackson streaming only.
 *   <li>{@code dev.strata.protocol.grpc}: the gRPC service (generated at build time from {@code
 *       grpc_predict_v2.proto}), converters between its messages and the core types, and the one
 *       mapping between {@link dev.strata.core.ErrorCode} and gRPC status codes.
 *   <li>{@code dev.strata.protocol.client}: {@code StrataClient}, one interface over REST (Netty)
 *       and gRPC.
 * </ul>
 *
 * <p>This module depends on strata-core only; it knows nothing of the runtime or the server.
 */
package dev.strata.protocol;
