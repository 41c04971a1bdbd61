#!/usr/bin/env bash
# Generation throughput of a language model (issue 10 §6): completion tokens/s with 1, 4 and 8
# concurrent streams in-process (llama.cpp's binding) and through the server's OpenAI API
# (streamed completions; clients: curl processes, or --client jdk), and 8 requests one after
# another on one sequence; --runs interleaved runs after a warm-up, medians and ratios at the end.
#   strata-bench/llm-bench.sh [--width 384] [--layers 6] [--tokens 64] [--rounds 2] [--runs 3] \
#       [--threads 2] [--client curl|jdk]
#   strata-bench/llm-bench.sh --smoke       # a tiny model, a few tokens (BenchScriptsIT runs it)
#   strata-bench/llm-bench.sh embeddings [--requests 400] [--smoke]
#       embedding requests/s on all-MiniLM-L6-v2: POST /v1/embeddings vs LangChain4j's in-process
#       ONNX Runtime model, 1 and 8 clients
#   strata-bench/llm-bench.sh quality --model edge=models/tiny-lm-edge/model.gguf \
#       --model cloud=models/tiny-lm-cloud/model.gguf [--corpus kjv] [--prompts 200] [--words 4]
#       greedy continuation of held-out passages, word accuracy and exact match per model
# JSON lines on stdout; the model goes to strata-bench/target/llm-bench. STRATA_BENCH_JAVA_OPTS:
# extra JVM options (e.g. -Xlog:gc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
jar="$root/strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
  "$root/build" -q -B -DskipTests package -pl strata-bench -am >&2
fi
if [ ! -f "$jar" ] || [ ! -d "$root/strata-bench/target/lib" ]; then
  echo "llm-bench: no $jar; build first: ./build -q -DskipTests package -pl strata-bench -am" >&2
  exit 1
fi
main=dev.strata.bench.llm.GenerationBench
if [ "${1:-}" = embeddings ]; then
  shift
  main=dev.strata.bench.llm.EmbeddingBench
elif [ "${1:-}" = quality ]; then
  shift
  main=dev.strata.bench.llm.ContinuationQuality
fi
out="$root/strata-bench/target/llm-bench"
rm -rf "$out"
mkdir -p "$out"
exec "$STRATA_JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED ${STRATA_BENCH_JAVA_OPTS:-} \
  -Dlogback.configurationFile="$root/strata-train/logback-cli.xml" \
  -cp "$jar:$root/strata-bench/target/lib/*" "$main" $([ "$main" = dev.strata.bench.llm.ContinuationQuality ] || echo --dir "$out") "$@"
