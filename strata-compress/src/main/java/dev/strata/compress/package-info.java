/**
 * Compression of trained models for the edge, over the ONNX graph: int8 quantization (static, as
 * QuantizeLinear/DequantizeLinear pairs calibrated on data; dynamic, weights int8 and activations
 * quantized at run time), each result measured against its original.
 */
package dev.strata.compress;
