#!/usr/bin/env bash
# Training and ONNX Runtime inference throughput of fashion-cnn (see docs/benchmarks.md):
#   strata-bench/run-training-bench.sh [--threads 2] [--epochs 2] [--batch 128] [--train-images N]
#       [--data /usr/share/datasets/fashion-mnist] [--model models/fashion-cnn/model.onnx]
#   strata-bench/run-training-bench.sh --smoke   # one epoch of 256 images of the shipped subset
# Builds strata-bench and what it needs first (package with tests skipped, so the test jars some
# modules share are made too; no install); STRATA_BENCH_BUILD=0 uses what is built. The full
# dataset is Debian's dataset-fashion-mnist package (apt-get install -y dataset-fashion-mnist);
# --data data/fashion-mnist-subset runs on the 1,000 images shipped in the repository.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
heap=-Xmx6g
if [ "${1:-}" = --smoke ]; then
  shift
  set -- --data "$root/data/fashion-mnist-subset" --epochs 1 --train-images 256 --batch 64 \
    --threads 1 "$@"
  heap=-Xmx1g
fi
data=/usr/share/datasets/fashion-mnist
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
  if [ "${args[i]}" = --data ]; then data=${args[i + 1]}; fi
done
if [ ! -d "$data" ]; then
  echo "run-training-bench: no dataset at $data. Install Fashion-MNIST (apt-get install -y" \
    "dataset-fashion-mnist), or pass --data DIR (--data data/fashion-mnist-subset: the shipped" \
    "subset)." >&2
  exit 1
fi
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
jar="$root/strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
  "$root/build" -q -B -DskipTests package -pl strata-bench -am >&2
fi
if [ ! -f "$jar" ] || [ ! -d "$root/strata-bench/target/lib" ]; then
  echo "run-training-bench: no $jar; build first: ./build -q -DskipTests package -pl strata-bench -am" >&2
  exit 1
fi
cd "$root"
# the malloc settings ./strata gives `strata train` (see there); GLIBC_TUNABLES= measures without
if [ -z "${GLIBC_TUNABLES+set}" ]; then
  export GLIBC_TUNABLES=$(sed -n 's/^strata_train_malloc=//p' "$root/strata")
fi
exec "$STRATA_JAVA_HOME/bin/java" $heap --enable-native-access=ALL-UNNAMED \
  -Dlogback.configurationFile="$root/strata-train/logback-cli.xml" \
  -cp "$jar:$root/strata-bench/target/lib/*" dev.strata.bench.train.TrainingBenchmark "$@"
