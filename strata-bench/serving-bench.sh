#!/usr/bin/env bash
# The serving benchmark of docs/benchmarks.md. The server and the in-process baseline run pinned to
# one core (SERVER_CPUS, default 0), the load to another (LOAD_CPUS, default 1), with three load
# generators: Strata's LoadGenerator (REST binary, gRPC, REST JSON; closed and open loop), wrk
# (REST binary and JSON, closed loop, one connection per client) and h2load (gRPC, closed loop,
# one connection per client).
#
#   [ROUNDS=3] strata-bench/serving-bench.sh [small|resnet|startup|rss|all|report] [seconds-per-window]
#   strata-bench/serving-bench.sh --smoke    # each step for about a second: does the benchmark work?
#
# Prints JSON lines (one per measurement), appends them to target/serving-bench/results.jsonl, and
# ends with the Markdown tables of docs/benchmarks.md made from that file (`report` only prints
# them; delete the file to start afresh). --smoke runs `all` with one round of one-second
# windows, one client count, a one-second warm-up, resnet served only by the rss step, into
# target/serving-bench-smoke/ (fresh each time); its figures mean nothing.
#
# Needs wrk (apt-get install -y wrk; or WRK=/path/to/wrk) and h2load (apt-get install -y
# nghttp2-client; or H2LOAD=/path/to/h2load): a measuring run refuses to start without them,
# --smoke skips their runs and says so. Environment: ROUNDS (3), WINDOWS (3),
# WARMUP (15 s), SMALL_CLIENTS ("16 64"), RESNET_CLIENTS (16), SERVER_CPUS (0), LOAD_CPUS (1),
# HTTP_PORT (18000), GRPC_PORT (18001); STRATA_BENCH_BUILD=0 uses what is built instead of running
# Maven, and serves with strata-cli/target/strata/strata.jar instead of the ./strata launcher.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

smoke=0
if [ "${1:-}" = --smoke ]; then
  smoke=1
  shift
fi
what=${1:-all}
window=${2:-5}
case "$what" in
  small | resnet | startup | rss | all | report) ;;
  *)
    echo "usage: $0 [--smoke] [small|resnet|startup|rss|all|report] [seconds-per-window]" >&2
    exit 2
    ;;
esac

if [ $smoke = 1 ]; then
  out="$root/strata-bench/target/serving-bench-smoke"
  rm -rf "$out"
  window=1 rounds=1 windows=1 warmup=1 inproc_warmup=0 inproc_seconds=1
  small_clients=4 resnet_clients=2 small_sweep=1 resnet_sweep=1
  startup_runs=1 rss_cycles=2 rss_warmup=1 rss_every=1
else
  out="$root/strata-bench/target/serving-bench"
  rounds=${ROUNDS:-3} windows=${WINDOWS:-3} warmup=${WARMUP:-15} inproc_warmup=3
  inproc_seconds=$((window * 2))
  small_clients=${SMALL_CLIENTS:-"16 64"} resnet_clients=${RESNET_CLIENTS:-16}
  small_sweep="1 8 16 32 64" resnet_sweep="1 4 8"
  startup_runs=5 rss_cycles=200 rss_warmup=10 rss_every=20
fi
repo="$out/repo"
mkdir -p "$out"
results="$out/results.jsonl"

# The load tools first: a measuring run without one would be half a benchmark, found out an hour
# later. $1 tool, $2 the executable, $3 its Debian package, $4 the variable that names it; prints
# 1 when it is there, 0 when a smoke run goes on without it.
have_tool() {
  if command -v "$2" >/dev/null 2>&1; then
    echo 1
  elif [ $smoke = 1 ]; then
    echo "serving-bench: $1 is not installed; its runs are skipped (apt-get install -y $3)" >&2
    echo 0
  elif [ "$what" = small ] || [ "$what" = resnet ] || [ "$what" = all ]; then
    echo "serving-bench: $1 ('$2') is not installed: the benchmark measures with $1 as well as" \
      "with its own load generator. Install it (apt-get install -y $3) or set $4=/path/to/$1." >&2
    exit 1
  else
    echo 0
  fi
}
WRK=${WRK:-wrk}
H2LOAD=${H2LOAD:-h2load}
have_wrk=$(have_tool wrk "$WRK" wrk WRK)
have_h2load=$(have_tool h2load "$H2LOAD" nghttp2-client H2LOAD)

server_cpus=${SERVER_CPUS:-0}
load_cpus=${LOAD_CPUS:-1}
if [ -z "${LOAD_CPUS:-}" ] && [ "$(nproc)" -lt 2 ]; then
  echo "serving-bench: one CPU only; the load shares it with the server" >&2
  load_cpus=$server_cpus
fi

. bin/find-jdk.sh
strata_find_jdk 21 jdk
java="$STRATA_JAVA_HOME/bin/java"
bench_jar="strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
cli_jar="strata-cli/target/strata/strata.jar"
if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
  ./build -q -B -DskipTests package -pl strata-bench -am
  # The launcher records its start-up cache against the jars; they were just packaged again.
  rm -f strata-cli/target/strata/*.aot
fi
for f in "$bench_jar" strata-bench/target/lib "$cli_jar"; do
  if [ ! -e "$f" ]; then
    echo "serving-bench: no $f; build first: ./build -q -DskipTests package -pl strata-bench -am" >&2
    exit 1
  fi
done
cp="$bench_jar:strata-bench/target/lib/*"
jopts=(--enable-native-access=ALL-UNNAMED)
if [ "$STRATA_JAVA_FEATURE" -ge 24 ]; then
  jopts+=(--sun-misc-unsafe-memory-access=allow)
fi
if [ $smoke = 1 ]; then
  jopts+=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC) # short-lived JVMs: less compiling, less CPU
fi
bench() { "$java" "${jopts[@]}" -cp "$cp" "$@"; }

HTTP=${HTTP_PORT:-18000}
GRPC=${GRPC_PORT:-18001}
server_pid=""

# The command that runs `strata` (then `serve ...`): the launcher, or the distribution's jar as the
# launcher would run it, without its build check and start-up cache.
strata_cmd() {
  if [ "${STRATA_BENCH_BUILD:-1}" = 0 ]; then
    local native="strata-cli/target/onnxruntime-native/ai/onnxruntime/native/linux-x64"
    local extra=()
    [ -d "$native" ] && extra+=("-Donnxruntime.native.path=$root/$native")
    [ "$STRATA_JAVA_FEATURE" -ge 22 ] && extra+=(-XX:TrimNativeHeapInterval=2000)
    # shellcheck disable=SC2086 # STRATA_JAVA_OPTS is a list of options, as the launcher reads it
    echo "$java" "${jopts[@]}" "${extra[@]}" ${STRATA_JAVA_OPTS:-} -cp "$root/$cli_jar" \
      dev.strata.cli.StrataCli
  else
    echo ./strata
  fi
}

start_server() { # $1: repository, $2: the CPUs it may use (default: the server's)
  if curl -s -o /dev/null "http://127.0.0.1:$HTTP/v2/health/live"; then
    echo "serving-bench: something already answers on port $HTTP; stop it or set HTTP_PORT" >&2
    exit 1
  fi
  local cmd
  read -r -a cmd <<<"$(strata_cmd)"
  taskset -c "${2:-$server_cpus}" "${cmd[@]}" serve --model-repository "$1" --io-threads 1 \
    --http-port "$HTTP" --grpc-port "$GRPC" >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 3000); do
    if curl -sf "http://127.0.0.1:$HTTP/v2/health/ready" >/dev/null; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.02
  done
  echo "serving-bench: the server did not become ready; its log ($out/server.log):" >&2
  tail -40 "$out/server.log" >&2
  exit 1
}
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT
emit() { tee -a "$results"; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
tag() { sed "s/^{/{$1,/"; } # adds fields to a JSON line

inprocess() { # $1 model, $2 batch, $3 extra fields, then InProcessBench options
  local model=$1 batch=$2 fields=$3
  shift 3
  taskset -c "$server_cpus" "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.InProcessBench \
    --repository "$repo" --model "$model" --batch "$batch" --warmup "$inproc_warmup" \
    --seconds "$inproc_seconds" "$@" | tag "$fields" | emit
}

load() { # $1 model, $2 transport, $3 extra fields, then LoadGenerator options
  local model=$1 t=$2 fields=$3
  shift 3
  taskset -c "$load_cpus" "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.LoadGenerator \
    --http-port "$HTTP" --grpc-port "$GRPC" --model "$model" --transport "$t" \
    --warmup "$warmup" --window-seconds "$window" --windows "$windows" "$@" | tag "$fields" | emit
}

wrk_load() { # $1 model, $2 transport, $3 extra fields, $4 clients (connections)
  taskset -c "$load_cpus" "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.WrkLoad \
    --wrk "$WRK" --http-port "$HTTP" --model "$1" --transport "$2" --connections "$4" \
    --threads 1 --warmup "$warmup" --window-seconds "$window" --windows "$windows" \
    --server-pid "$server_pid" | tag "$3" | emit
}

h2load_load() { # $1 model, $2 extra fields, $3 clients (connections, one call at a time each)
  taskset -c "$load_cpus" "$java" "${jopts[@]}" -cp "$cp" dev.strata.bench.serving.H2Load \
    --h2load "$H2LOAD" --http-port "$HTTP" --grpc-port "$GRPC" --model "$1" --connections "$3" \
    --streams 1 --warmup "$warmup" --window-seconds "$window" --windows "$windows" \
    --server-pid "$server_pid" | tag "$2" | emit
}

# $1 model, $2 in-process batch sizes (swept once), $3 the in-process reference batch, $4 client
# counts. Rounds of: the in-process reference, then each transport at each client count with each
# load generator, so every server figure has a reference measured minutes before it on the same,
# drifting machine. Then each transport open loop at half its median saturated rate (at the largest
# client count).
serving() {
  local model=$1 sweep=$2 ref=$3 clients=$4 t r c m
  local most=${clients##* }
  mkdir -p "$out/repo-$model"
  cp -r "$repo/$model" "$out/repo-$model/"
  for b in $sweep; do
    inprocess "$model" "$b" '"round":0,"reference":false'
  done
  start_server "$out/repo-$model"
  declare -A rates=() halves=()
  for r in $(seq 1 "$rounds"); do
    inprocess "$model" "$ref" "\"round\":$r,\"reference\":true"
    for c in $clients; do
      for t in binary grpc json; do
        m=$(load "$model" $t "\"round\":$r" --concurrency "$c" --server-pid "$server_pid")
        echo "$m"
        if [ "$c" = "$most" ]; then
          rates[$t]="${rates[$t]:-} $(echo "$m" | field req_per_s)"
        fi
      done
      if [ $have_wrk = 1 ]; then
        for t in binary json; do
          wrk_load "$model" $t "\"round\":$r" "$c"
        done
      fi
      if [ $have_h2load = 1 ]; then
        h2load_load "$model" "\"round\":$r" "$c"
      fi
    done
  done
  for t in binary grpc json; do
    half=$(echo "${rates[$t]}" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] / 2}')
    if ! awk -v r="$half" 'BEGIN {exit !(r > 0)}'; then
      echo "serving-bench: $model over $t answered nothing at saturation; no open-loop rate" >&2
      exit 1
    fi
    load "$model" $t '"round":0' --rate "$half" --server-pid "$server_pid"
    halves[$t]=$half
  done
  stop_server
  # The same schedule without a server: batch 1 in-process at each open-loop rate, parked between
  # calls as the server's threads are, so the report can tell the idle core's cost from the server's.
  for t in binary grpc json; do
    inprocess "$model" 1 '"round":0,"reference":false' --rate "${halves[$t]}" --wait park
  done
}

startup() { # process start to /v2/health/ready with one model (the small CNN), on both cores (as a
  # user runs it) and pinned to one core (as the serving figures run it)
  mkdir -p "$out/repo-small"
  cp -r "$repo/small" "$out/repo-small/"
  if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
    ./strata --version >/dev/null # builds the distribution and its start-up cache first
  fi
  local cpus i s e
  for cpus in "$server_cpus,$load_cpus" "$server_cpus"; do
    for i in $(seq 1 "$startup_runs"); do
      s=$(date +%s%N)
      start_server "$out/repo-small" "$cpus"
      e=$(date +%s%N)
      stop_server
      echo "{\"kind\":\"startup\",\"cpus\":\"$cpus\",\"run\":$i,\"ms\":$(((e - s) / 1000000))}" | emit
    done
  done
}

rss() { # load/unload cycles of the ResNet-style model; server RSS sampled as it goes. Once with a
  # fixed, pre-touched Java heap, so that RSS growth is native memory (ORT sessions not freed), not
  # the JVM touching more of its heap; once with the JVM's default heap sizing.
  mkdir -p "$out/repo-resnet"
  cp -r "$repo/resnet" "$out/repo-resnet/"
  local heap
  for heap in fixed default; do
    if [ $heap = fixed ]; then
      STRATA_JAVA_OPTS="-Xms256m -Xmx256m -XX:+AlwaysPreTouch" start_server "$out/repo-resnet"
    else
      start_server "$out/repo-resnet"
    fi
    bench dev.strata.bench.serving.LoadUnloadCycles --http-port "$HTTP" --model resnet \
      --cycles "$rss_cycles" --warmup-cycles "$rss_warmup" --sample-every "$rss_every" \
      --pid "$server_pid" | tag "\"heap\":\"$heap\"" | emit
    stop_server
  done
}

if [ "$what" != report ]; then
  [ -d "$repo/small" ] && [ -d "$repo/resnet" ] || bench dev.strata.bench.serving.BenchModels --out "$repo"
fi
case "$what" in
  small) serving small "$small_sweep" 16 "$small_clients" ;;
  resnet) serving resnet "$resnet_sweep" 8 "$resnet_clients" ;;
  report) ;;
  startup) startup ;;
  rss) rss ;;
  all)
    serving small "$small_sweep" 16 "$small_clients"
    if [ $smoke = 1 ]; then
      # The same steps as the small model's; the smoke run serves resnet in the rss step only.
      inprocess resnet "$resnet_sweep" '"round":0,"reference":false'
    else
      serving resnet "$resnet_sweep" 8 "$resnet_clients"
    fi
    startup
    rss
    ;;
esac
bench dev.strata.bench.serving.ServingReport --results "$results"
