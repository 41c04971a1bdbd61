#!/usr/bin/env bash
# The serving benchmark of docs/benchmarks.md (issue 2). On a 2-core machine: the server and the
# in-process baseline run pinned to core 0, the load generator to core 1.
#
#   [ROUNDS=3] strata-bench/serving-bench.sh [small|resnet|startup|rss|all|report] [seconds-per-window]
#
# Prints JSON lines (one per measurement), appends them to target/serving-bench/results.jsonl, and
# ends with the Markdown tables of docs/benchmarks.md made from that file (`report` only prints
# them; delete the file to start afresh).
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
start_server() { # $1: repository, $2: the CPUs it may use (default: 0)
  taskset -c "${2:-0}" ./strata serve --model-repository "$1" --io-threads 1 --http-port $HTTP --grpc-port $GRPC \
    >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$HTTP/v2/health/ready" >/dev/null; then return 0; fi
    sleep 0.02
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

tag() { sed "s/^{/{$1,/"; } # adds fields to a JSON line

inprocess() { # $1 model, $2 batch, $3 extra fields
  taskset -c 0 "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.InProcessBench \
    --repository "$repo" --model "$1" --batch "$2" --seconds $((window * 2)) | tag "$3" | emit
}

load() { # $1 model, $2 transport, $3 extra fields, then LoadGenerator options
  local model=$1 t=$2 fields=$3
  shift 3
  taskset -c 1 "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.LoadGenerator \
    --http-port $HTTP --grpc-port $GRPC --model "$model" --transport "$t" \
    --window-seconds "$window" --windows 3 "$@" | tag "$fields" | emit
}

# $1 model, $2 in-process batch sizes (swept once), $3 the in-process reference batch, $4 clients.
# ROUNDS rounds (default 3) of: the in-process reference, then each transport at saturation, so
# every server figure has a reference measured minutes before it on the same, drifting machine.
# Then each transport open loop at half its median saturated rate.
serving() {
  local model=$1 batches=$2 ref=$3 conc=$4 t r
  mkdir -p "$out/repo-$model"
  cp -r "$repo/$model" "$out/repo-$model/"
  for b in $batches; do
    inprocess "$model" "$b" '"round":0,"reference":false'
  done
  start_server "$out/repo-$model"
  declare -A rates=()
  for r in $(seq 1 "${ROUNDS:-3}"); do
    inprocess "$model" "$ref" "\"round\":$r,\"reference\":true"
    for t in binary grpc json; do
      m=$(load "$model" $t "\"round\":$r" --concurrency "$conc" --server-pid "$server_pid")
      echo "$m"
      rates[$t]="${rates[$t]:-} $(echo "$m" | field req_per_s)"
    done
  done
  for t in binary grpc json; do
    half=$(echo "${rates[$t]}" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] / 2}')
    load "$model" $t '"round":0' --rate "$half"
  done
  stop_server
}

startup() { # process start to /v2/health/ready with one model (the small CNN), 5 runs each on
  # both cores (as a user runs it) and pinned to one core (as the serving figures run it)
  mkdir -p "$out/repo-small"
  cp -r "$repo/small" "$out/repo-small/"
  ./strata --version >/dev/null # builds the distribution and its start-up cache first
  local cpus
  for cpus in 0-1 0; do
    for i in 1 2 3 4 5; do
      s=$(date +%s%N)
      start_server "$out/repo-small" "$cpus"
      e=$(date +%s%N)
      stop_server
      echo "{\"kind\":\"startup\",\"cpus\":\"$cpus\",\"run\":$i,\"ms\":$(((e - s) / 1000000))}" | emit
    done
  done
}

rss() { # 200 load/unload cycles of the ResNet-style model; server RSS sampled as it goes. Once with
  # a fixed, pre-touched Java heap, so that RSS growth is native memory (ORT sessions not freed),
  # not the JVM touching more of its heap; once with the JVM's default heap sizing.
  mkdir -p "$out/repo-resnet"
  cp -r "$repo/resnet" "$out/repo-resnet/"
  local heap
  for heap in fixed default; do
    if [ $heap = fixed ]; then
      STRATA_JAVA_OPTS="-Xms256m -Xmx256m -XX:+AlwaysPreTouch" start_server "$out/repo-resnet"
    else
      start_server "$out/repo-resnet"
    fi
    pid=$(pgrep -f "StrataCli serve --model-repository $out/repo-resnet" | head -1)
    bench dev.strata.bench.serving.LoadUnloadCycles --http-port $HTTP --model resnet --cycles 200 \
      --pid "$pid" | tag "\"heap\":\"$heap\"" | emit
    stop_server
  done
}

case "$what" in
  small) serving small "1 8 16 32 64" 16 64 ;;
  resnet) serving resnet "1 4 8" 8 16 ;;
  report) ;;
  startup) startup ;;
  rss) rss ;;
  all)
    serving small "1 8 16 32 64" 16 64
    serving resnet "1 4 8" 8 16
    startup
    rss
    ;;
  *) echo "usage: $0 [small|resnet|startup|rss|all|report] [seconds-per-window]" >&2; exit 2 ;;
esac
bench dev.strata.bench.serving.ServingReport --results "$results"
