/**
 * The Open Inference Protocol's HTTP/REST bodies: {@link dev.strata.protocol.rest.RestCodec}
 * decodes and encodes inference requests and responses (JSON with Jackson's streaming API, plus
 * Triton's binary tensor data extension) and the metadata, statistics, repository and error
 * messages (records bound with Jackson databind). No transport types: bytes in, {@link
 * dev.strata.protocol.rest.EncodedBody} parts out.
 */
package dev.strata.protocol.rest;
