#!/usr/bin/env bash
# Fleet control-plane benchmark (issue 4). For each agent count given, starts a fresh cloud on an
# empty data directory pinned to CPU 0 and the simulated fleet pinned to CPU 1, prints the
# simulator's report, and stops the cloud.
#
#   strata-bench/fleet-bench.sh 1000 2500 5000 7500
#
# Environment: WARMUP_S (20), DURATION_S (60), INTERVAL_S (10), CLOUD_HEAP (1g).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/find-jdk.sh"
strata_find_jdk 21 jdk || exit 1
java="$STRATA_JAVA_HOME/bin/java"
jar="$root/strata-bench/target/strata-bench-0.1.0-SNAPSHOT.jar"
if [ ! -f "$jar" ] || [ ! -d "$root/strata-bench/target/lib" ]; then
  echo "building strata-bench..." >&2
  "$root/build" -q -pl strata-bench -am package -DskipTests >&2
fi
cp="$jar:$root/strata-bench/target/lib/*"
token=fleet-bench-admin-token-0123456789
port=${PORT:-18080}

for n in "$@"; do
  data=$(mktemp -d -t strata-fleet-XXXXXX)
  STRATA_ADMIN_TOKEN=$token taskset -c 0 "$java" -Xmx"${CLOUD_HEAP:-1g}" \
    --enable-native-access=ALL-UNNAMED -cp "$cp" dev.strata.cloud.CloudCommand \
    --data-dir "$data" --http-port "$port" --grpc-port -1 >"$data/cloud.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    grep -q "strata cloud: ready" "$data/cloud.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$data/cloud.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "=== $n agents (cloud pid $pid on CPU 0, simulator on CPU 1) ==="
  STRATA_ADMIN_TOKEN=$token taskset -c 1 "$java" -Xmx2g -cp "$cp" \
    dev.strata.bench.fleet.FleetBenchmark --url "http://127.0.0.1:$port" --agents "$n" \
    --cloud-pid "$pid" --interval-s "${INTERVAL_S:-10}" --warmup-s "${WARMUP_S:-20}" \
    --duration-s "${DURATION_S:-60}" || true
  kill "$pid"
  wait "$pid" || true
  rm -rf "$data"
done
