/**
 * The inference runtime over ONNX Runtime: a Triton-style model repository, versions with hot
 * reload, one bounded queue and dynamic batcher per version, instances with their own sessions and
 * worker threads, statistics and Micrometer metrics. Transports call {@link
 * dev.strata.runtime.InferenceService}; {@link dev.strata.runtime.ModelManager} implements it,
 * configured by {@link dev.strata.runtime.RuntimeConfig}. {@link dev.strata.runtime.OrtSessions} is
 * the one place that sets up ONNX Runtime sessions. Everything else in this package is internal.
 */
package dev.strata.runtime;
