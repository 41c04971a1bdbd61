/**
 * {@link dev.strata.protocol.client.StrataClient}: one client interface over REST ({@link
 * dev.strata.protocol.client.RestClient}, HTTP/1.1 keep-alive on Netty) and gRPC (grpc-java on
 * Netty), for the CLI, tests and load generators.
 */
package dev.strata.protocol.client;
