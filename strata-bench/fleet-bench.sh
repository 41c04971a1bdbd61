#!/usr/bin/env bash
# Fleet control-plane benchmark (issue 4). For each agent count given, starts a fresh cloud on an
# empty data directory pinned to CPU 0 (CLOUD_CPUS) and the simulated fleet pinned to CPU 1
# (SIM_CPUS), prints the simulator's report, and stops the cloud.
#
#   strata-bench/fleet-bench.sh 1000 2500 5000 7500
#   strata-bench/fleet-bench.sh --smoke     # 20 agents for a few seconds: does the benchmark work?
#
# Builds strata-bench first (package, tests skipped). Environment: WARMUP_S (20), DURATION_S (60),
# INTERVAL_S (10), CLOUD_HEAP (1g), PORT (18080), STRATA_BENCH_BUILD=0 (use what is built). A count whose verdict is FAIL does not
# stop the others (its report says why); --smoke fails on anything but PASS.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
smoke=0
if [ "${1:-}" = --smoke ]; then
  smoke=1
  shift
  set -- 20
  export WARMUP_S=1 DURATION_S=2 INTERVAL_S=1
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 [--smoke] AGENTS..." >&2
  exit 2
fi
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
java="$STRATA_JAVA_HOME/bin/java"
jar="$root/strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
if [ "${STRATA_BENCH_BUILD:-1}" != 0 ]; then
  "$root/build" -q -B -DskipTests package -pl strata-bench -am >&2
fi
if [ ! -f "$jar" ] || [ ! -d "$root/strata-bench/target/lib" ]; then
  echo "fleet-bench: no $jar; build first: ./build -q -DskipTests package -pl strata-bench -am" >&2
  exit 1
fi
cp="$jar:$root/strata-bench/target/lib/*"
token=fleet-bench-admin-token-0123456789
port=${PORT:-18080}
cloud_cpus=${CLOUD_CPUS:-0}
sim_cpus=${SIM_CPUS:-1}
if [ -z "${SIM_CPUS:-}" ] && [ "$(nproc)" -lt 2 ]; then
  echo "fleet-bench: one CPU only; the simulator shares it with the cloud" >&2
  sim_cpus=$cloud_cpus
fi
jopts=(--enable-native-access=ALL-UNNAMED)
verdicts=()
pid=""
data=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  [ -n "$data" ] && rm -rf "$data"
  return 0
}
trap cleanup EXIT

for n in "$@"; do
  data=$(mktemp -d -t strata-fleet-XXXXXX)
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "fleet-bench: something already answers on port $port; stop it or set PORT" >&2
    exit 1
  fi
  STRATA_ADMIN_TOKEN=$token taskset -c "$cloud_cpus" "$java" -Xmx"${CLOUD_HEAP:-1g}" \
    "${jopts[@]}" -cp "$cp" dev.strata.cloud.CloudCommand \
    --data-dir "$data" --http-port "$port" --grpc-port -1 >"$data/cloud.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do
    grep -q "strata cloud: ready" "$data/cloud.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$data/cloud.log" >&2; exit 1; }
    sleep 0.25
  done
  grep -q "strata cloud: ready" "$data/cloud.log" || { cat "$data/cloud.log" >&2; exit 1; }
  echo "=== $n agents (cloud pid $pid on CPU $cloud_cpus, simulator on CPU $sim_cpus) ==="
  extra=()
  [ $smoke = 1 ] && extra+=(--target-ms 5000) # a busy machine's p99, not the cloud's, would decide
  status=0
  STRATA_ADMIN_TOKEN=$token taskset -c "$sim_cpus" "$java" -Xmx2g "${jopts[@]}" -cp "$cp" \
    dev.strata.bench.fleet.FleetBenchmark --url "http://127.0.0.1:$port" --agents "$n" \
    --cloud-pid "$pid" --interval-s "${INTERVAL_S:-10}" --warmup-s "${WARMUP_S:-20}" \
    --duration-s "${DURATION_S:-60}" "${extra[@]}" || status=$?
  verdicts+=("$n:$status")
  kill "$pid"
  wait "$pid" || true
  pid=""
  rm -rf "$data"
  data=""
  if [ $smoke = 1 ] && [ $status -ne 0 ]; then
    echo "fleet-bench: the simulator exited with $status" >&2
    exit 1
  fi
done
echo "exit status per agent count (0 PASS, 3 FAIL): ${verdicts[*]}"
