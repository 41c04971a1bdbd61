#!/usr/bin/env bash
# Training and ONNX Runtime inference throughput of fashion-cnn (see docs/benchmarks.md):
#   strata-bench/run-training-bench.sh [--threads 2] [--epochs 2] [--batch 128] [--data DIR]
# Builds the modules once (no tests) and caches the classpath in strata-bench/target/classpath.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
cp_file="$root/strata-bench/target/classpath.txt"
if [ ! -f "$cp_file" ] || [ -n "${STRATA_REBUILD:-}" ]; then
  "$root/build" -q -pl strata-bench -am compile dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >&2
fi
classes="$root/strata-core/target/classes:$root/strata-onnx/target/classes:$root/strata-preprocess/target/classes:$root/strata-train/target/classes:$root/strata-bench/target/classes"
cd "$root"
exec "$STRATA_JAVA_HOME/bin/java" -Xmx6g --enable-native-access=ALL-UNNAMED \
  -Dlogback.configurationFile="$root/strata-train/logback-cli.xml" \
  -cp "$classes:$(cat "$cp_file")" dev.strata.bench.train.TrainingBenchmark "$@"
