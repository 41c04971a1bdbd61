#!/usr/bin/env bash
# The serving benchmark of docs/benchmarks.md (issue 2). On a 2-core machine: the server and the
# in-process baseline run pinned to core 0, the load generator to core 1.
#
#   strata-bench/serving-bench.sh [small|resnet|startup|rss|all] [seconds-per-window]
#
# Prints JSON lines (one per measurement) and writes them to target/serving-bench/results.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-all}
window=${2:-5}
out="$root/strata-bench/target/serving-bench"
repo="$out/repo"
mkdir -p "$out"
results="$out/results.jsonl"

. bin/find-jdk.sh
strata_find_jdk 21 jdk
java="$STRATA_JAVA_HOME/bin/java"
JAVA_HOME=$STRATA_JAVA_HOME ./mvnw -q -B -DskipTests package -pl strata-cli,strata-bench -am
cp="strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar:strata-bench/target/lib/*"
jopts=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
bench() { "$java" "${jopts[@]}" -cp "$cp" "$@"; }

HTTP=18000
GRPC=18001
server_pid=""
start_server() { # $1: repository
  taskset -c 0 ./strata serve --model-repository "$1" --io-threads 1 --http-port $HTTP --grpc-port $GRPC \
    >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$HTTP/v2/health/ready" >/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "server did not become ready; see $out/server.log" >&2
  exit 1
}
stop_server() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap stop_server EXIT
emit() { tee -a "$results"; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

[ -d "$repo/small" ] && [ -d "$repo/resnet" ] || bench dev.strata.bench.serving.BenchModels --out "$repo"

serving() { # $1 model, $2 in-process batch sizes, $3 concurrency
  local model=$1 batches=$2 conc=$3 m
  mkdir -p "$out/repo-$model"
  cp -r "$repo/$model" "$out/repo-$model/"
  for b in $batches; do
    taskset -c 0 "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.InProcessBench \
      --repository "$repo" --model "$model" --batch "$b" --seconds $((window * 2)) | emit
  done
  start_server "$out/repo-$model"
  for t in binary grpc json; do
    m=$(taskset -c 1 "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.LoadGenerator \
      --http-port $HTTP --grpc-port $GRPC --model "$model" --transport $t --concurrency "$conc" \
      --window-seconds "$window" --server-pid "$server_pid" | emit)
    rate=$(echo "$m" | field req_per_s)
    half=$(awk "BEGIN {print $rate / 2}")
    taskset -c 1 "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.LoadGenerator \
      --http-port $HTTP --grpc-port $GRPC --model "$model" --transport $t --rate "$half" \
      --window-seconds "$window" | emit
  done
  stop_server
}

startup() { # process start to /v2/health/ready with one model (the small CNN), 5 runs
  mkdir -p "$out/repo-small"
  cp -r "$repo/small" "$out/repo-small/"
  ./strata --version >/dev/null # builds the distribution and its class-data archive first
  for i in 1 2 3 4 5; do
    s=$(date +%s%N)
    start_server "$out/repo-small"
    e=$(date +%s%N)
    stop_server
    echo "{\"kind\":\"startup\",\"run\":$i,\"ms\":$(((e - s) / 1000000))}" | emit
  done
}

rss() { # 200 load/unload cycles of the ResNet-style model; server RSS sampled as it goes
  mkdir -p "$out/repo-resnet"
  cp -r "$repo/resnet" "$out/repo-resnet/"
  start_server "$out/repo-resnet"
  pid=$(pgrep -f "StrataCli serve --model-repository $out/repo-resnet" | head -1)
  bench dev.strata.bench.serving.LoadUnloadCycles --http-port $HTTP --model resnet --cycles 200 --pid "$pid" | emit
  stop_server
}

case "$what" in
  small) serving small "1 8 16 32 64" 64 ;;
  resnet) serving resnet "1 4 8" 16 ;;
  startup) startup ;;
  rss) rss ;;
  all)
    serving small "1 8 16 32 64" 64
    serving resnet "1 4 8" 16
    startup
    rss
    ;;
  *) echo "usage: $0 [small|resnet|startup|rss|all] [seconds-per-window]" >&2; exit 2 ;;
esac
