/**
 * Language models as a service: GGUF models generated through llama.cpp ({@code de.kherud:llama}),
 * ONNX encoders embedded through ONNX Runtime with HuggingFace tokenizers, both from the same
 * Triton-style repository as every other model, behind the OpenAI-compatible API ({@code /v1}).
 */
package dev.strata.llm;
